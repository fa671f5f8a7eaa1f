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
	chatID, err := chatIDOf(args[0])
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

// chatIDOf reads a phone number in any common spelling ("+49 151 234-5678",
// "00491512345678") or a chat id ("491512345678@c.us", "…@lid").
func chatIDOf(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		if !greenapi.IsPersonalChat(s) {
			return "", fmt.Errorf("%q is not a personal chat id: expected digits@c.us (or an @lid id)", s)
		}
		return s, nil
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			return -1
		}
		return 'x'
	}, s)
	digits = strings.TrimPrefix(digits, "00")
	if strings.Contains(digits, "x") || len(digits) < 7 || len(digits) > 15 {
		return "", fmt.Errorf("%q is not a phone number in international form (e.g. +49 151 2345678) nor a chat id (e.g. 491512345678@c.us)", s)
	}
	return digits + "@c.us", nil
}
