package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// forget erases what Frontdesk keeps about one contact, for an erasure
// request: `frontdesk forget +49 151 2345678`, `frontdesk forget 491512345678@c.us`
// or `frontdesk forget 120650379300963@lid`. A phone number also reaches
// the `@lid` chats whose kept notifications carried it as their sender's
// (bot.LIDChatsOf). The person is forgotten with every number (instance)
// of the deployment. It reads DATABASE_URL only, so it runs beside a
// running service.
func forget(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: frontdesk forget <phone number or chatId>, e.g. frontdesk forget '+49 151 2345678' or frontdesk forget 120650379300963@lid")
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
	chats := []string{chatID}
	digits, byNumber := greenapi.PhoneOf(chatID)
	if byNumber {
		lids, err := bot.LIDChatsOf(ctx, store, digits)
		if err != nil {
			return err
		}
		chats = append(chats, lids...)
	}
	for _, chat := range chats {
		f, err := store.Forget(ctx, chat)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "forgot %s in %s, with every instance: %d profiles, %d chats, %d first contacts, %d notifications, %d dead letters, %d events\n",
			chat, redactURL(databaseURL), f.Profiles, f.Chats, f.FirstContacts, f.Notifications, f.DeadLetters, f.Events)
	}
	if byNumber {
		fmt.Fprintf(stdout, "@lid chats: %d found whose notifications carried this number; an @lid chat whose number never came with its messages, or whose notifications were already pruned (KEEP_NOTIFICATIONS), is forgotten by its id: frontdesk forget <digits>@lid\n", len(chats)-1)
	}
	fmt.Fprintln(stdout, "not reachable from here: the messages in WhatsApp itself (the chat, and the operator group's summaries), events already delivered to EVENTS_URL, and log files already written")
	return nil
}
