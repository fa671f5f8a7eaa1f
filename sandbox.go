package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/sandbox"
)

// sandboxOperators is the operator group of the sandbox's instance.
const sandboxOperators = "120363000000000001@g.us"

// runSandbox is `frontdesk sandbox`: the service itself — the same bot, the
// same store, the same webhook — against a fake Green API embedded in the
// process, with a page to write to it as a customer. It never talks to
// the real Green API. It reads no Green API variable; DATABASE_URL (a
// temporary SQLite file by default), LOG_LEVEL and LOOKUP_TIMEOUT (5 s by
// default here) are read from the environment.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:8080", "where the page and the webhook listen (127.0.0.1 only unless told otherwise)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "frontdesk-sandbox")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	// The rules and texts the page edits: a copy of the shipped rules, and
	// an empty directory of overrides.
	rulesFile := filepath.Join(dir, "rules.toml")
	if err := os.WriteFile(rulesFile, []byte(bot.DefaultRules), 0o600); err != nil {
		return err
	}
	localesDir := filepath.Join(dir, "locales")
	if err := os.Mkdir(localesDir, 0o700); err != nil {
		return err
	}
	fake := greenapitest.NewServer()
	defer fake.Close()
	webhookToken := randomToken()
	env := map[string]string{
		"GREEN_API_URL":            fake.URL,
		"GREEN_API_ID_INSTANCE":    fake.IDInstance,
		"GREEN_API_TOKEN_INSTANCE": fake.Token,
		"WEBHOOK_TOKEN":            webhookToken,
		"RECEIVE_MODE":             "webhook",
		"OPERATOR_CHAT_ID":         sandboxOperators,
		"RULES_FILE":               rulesFile,
		"LOCALES_DIR":              localesDir,
		"DATABASE_URL":             filepath.Join(dir, "sandbox.db"),
		"ADMIN_ADDR":               "127.0.0.1:0",
		"LOOKUP_TIMEOUT":           "5s",
		"REPLICA_ID":               "sandbox-" + webhookToken[:8],
	}
	// What the sandbox does not set comes from the environment, but never
	// an instance of the real Green API, and no events out.
	for _, name := range []string{"DATABASE_URL", "LOOKUP_TIMEOUT", "LOG_LEVEL", "DEFAULT_LOCALE", "NEW_SENDER_AFTER", "LOG_PHONE_NUMBERS"} {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			env[name] = v
		}
	}
	sb := sandbox.New(sandbox.Config{Fake: fake, Operators: sandboxOperators, RulesFile: rulesFile, LocalesDir: localesDir}, newLogger(stderr, 0, false))
	return serveWith(ctx, func(name string) string { return env[name] }, stderr, serveOptions{
		addr:  *addr,
		trace: sb.Trace,
		wrap: func(public http.Handler, ctl *control) http.Handler {
			return sb.Handler(public, ctl.reload)
		},
		listening: func(url string) {
			// Green API resends an unacknowledged notification after 60 s;
			// here after 1 s, so that a fault's recovery shows at once.
			fake.DeliverWebhooks(url+"/webhook", webhookToken, time.Second, 10*time.Second)
			fmt.Fprintf(stdout, "Frontdesk sandbox: open %s/ (the real service against a fake Green API; Ctrl-C stops it)\n", url)
		},
	})
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
