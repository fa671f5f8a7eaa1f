package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
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
	"github.com/frontdesk-bot/frontdesk/store/postgres"
)

// sandboxOperators is the operator group of the sandbox's instance.
const sandboxOperators = "120363000000000001@g.us"

// runSandbox is `frontdesk sandbox`: the service itself — the same bot, the
// same store, the same webhook — against a fake Green API embedded in the
// process, with a page to write to it as a customer. It never talks to
// the real Green API. It reads no Green API variable and not DATABASE_URL
// (a temporary SQLite file, or -database); LOG_LEVEL and LOOKUP_TIMEOUT
// (5 s by default here) are read from the environment.
func runSandbox(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("sandbox", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:8080", "where the page and the webhook listen (127.0.0.1 only unless told otherwise)")
	database := flags.String("database", "", "a database of the sandbox's own (a SQLite file or a postgres:// URL); default a temporary SQLite file. One that holds another number's rows is refused")
	if err := flags.Parse(args); errors.Is(err, flag.ErrHelp) {
		return nil // the usage was printed: asking for it is no mistake
	} else if err != nil {
		return err
	}
	if *database != "" {
		if err := checkSandboxDatabase(ctx, *database); err != nil {
			return fmt.Errorf("-database: %w", err)
		}
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
	// The status page, on the operations listener of loopback, opens with
	// this token, which the sandbox's page shows.
	adminToken := randomToken()
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
		"ADMIN_TOKEN":              adminToken,
		"LOOKUP_TIMEOUT":           "5s",
		"REPLICA_ID":               "sandbox-" + webhookToken[:8],
	}
	if *database != "" {
		env["DATABASE_URL"] = *database
	}
	// What the sandbox does not set comes from the environment, but never
	// an instance of the real Green API, no events out, and not the
	// service's database (DATABASE_URL, as .env may give it): the sandbox
	// would join its replicas, take over their work and lead their duties.
	for _, name := range []string{"LOOKUP_TIMEOUT", "LOG_LEVEL", "DEFAULT_LOCALE", "NEW_SENDER_AFTER", "LOG_PHONE_NUMBERS"} {
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
		listening: func(url, adminURL string) {
			sb.SetStatusPage(adminURL+"/", adminToken)
			// Green API resends an unacknowledged notification after 60 s;
			// here after 1 s, so that a fault's recovery shows at once.
			fake.DeliverWebhooks(url+"/webhook", webhookToken, time.Second, 10*time.Second)
			fmt.Fprintf(stdout, "Frontdesk sandbox: open %s/ (the real service against a fake Green API; Ctrl-C stops it)\n", url)
			fmt.Fprintf(stdout, "Its status page: %s/ (token %s)\n", adminURL, adminToken)
		},
	})
}

// checkSandboxDatabase refuses a database that holds rows of another
// number than the sandbox's own, or replicas of a service at work.
func checkSandboxDatabase(ctx context.Context, databaseURL string) error {
	store, err := openStore(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer store.Close()
	if pg, ok := store.(*postgres.DB); ok {
		if alive, err := pg.OthersAlive(ctx); err != nil {
			return err
		} else if alive {
			return fmt.Errorf("%s is the database of a running Frontdesk; give the sandbox a database of its own", redactURL(databaseURL))
		}
	}
	lister, ok := store.(interface {
		Instances(ctx context.Context) ([]string, error)
	})
	if !ok {
		return nil
	}
	ids, err := lister.Instances(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if id != greenapitest.DefaultIDInstance {
			return fmt.Errorf("%s holds rows of number %q; the sandbox uses only a database of its own (leave -database out for a temporary one)", redactURL(databaseURL), id)
		}
	}
	return nil
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
