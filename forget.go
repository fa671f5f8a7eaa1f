package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// forget erases what Frontdesk keeps about one contact, for an erasure
// request: `frontdesk forget +49 151 2345678` or `frontdesk forget 491512345678@c.us`.
// The person is forgotten with every number (instance) of the deployment.
// It reads DATABASE_URL only, so it runs beside a running service.
func forget(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: frontdesk forget <phone number or chatId>, e.g. frontdesk forget +49 151 2345678 (quote a number with spaces)")
	}
	chatID, err := greenapi.ChatIDOf(args[0])
	if err != nil {
		return err
	}
	databaseURL := strings.TrimSpace(getenv("DATABASE_URL"))
	if databaseURL == "" {
		databaseURL = "frontdesk.db"
	}
	store, err := openStore(ctx, databaseURL)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	defer store.Close()
	f, err := store.Forget(ctx, chatID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forgot %s in %s, with every instance: %d profiles, %d chats, %d first contacts, %d notifications, %d dead letters, %d events\n",
		chatID, redactURL(databaseURL), f.Profiles, f.Chats, f.FirstContacts, f.Notifications, f.DeadLetters, f.Events)
	fmt.Fprintln(stdout, "not reachable from here: the messages in WhatsApp itself (the chat, and the operator group's summaries), events already delivered to EVENTS_URL, and log files already written")
	return nil
}
