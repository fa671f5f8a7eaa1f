package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

func TestChatIDOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want, err string }{
		{"+49 151 2345678", "491512345678@c.us", ""},
		{"0049 (151) 234-5678", "491512345678@c.us", ""},
		{"79001234567", "79001234567@c.us", ""},
		{"79001234567@c.us", "79001234567@c.us", ""},
		{"123456789012345@lid", "123456789012345@lid", ""},
		{" 120650379300963@lid ", "120650379300963@lid", ""},
		{"abc@lid", "", "not an @lid chat id"},
		{"120363000000000001@g.us", "", "not a personal chat id"},
		{"+49 151 CALL-ME", "", "not a phone number"},
		{"12345", "", "not a phone number"},
	} {
		got, err := greenapi.ChatIDOf(tt.in)
		if got != tt.want || (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ChatIDOf(%q) = %q, %v; want %q, %q", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestForgetCommand erases a contact through `frontdesk forget`, on SQLite
// and on PostgreSQL, and says what it removed.
func TestForgetCommand(t *testing.T) {
	t.Parallel()
	for name, databaseURL := range map[string]string{
		"sqlite":   filepath.Join(t.TempDir(), "fd.db"),
		"postgres": postgrestest.SchemaURL(t),
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			store, err := openStore(ctx, databaseURL)
			if err != nil {
				t.Fatal(err)
			}
			chat := "491512345678@c.us"
			now := time.Now()
			if _, err := store.AddNotification(ctx, queue.Notification{Instance: "1101000001", ChatID: chat, IDMessage: "A", TypeWebhook: "incomingMessageReceived",
				Body: []byte(`{"senderData":{"chatId":"` + chat + `"}}`), ReceivedAt: now}); err != nil {
				t.Fatal(err)
			}
			// The same person wrote from an @lid chat whose notification
			// carried the number; another @lid chat only mentions it, and an
			// outgoing message's number is the business's.
			const lid, mentions, outgoing = "120650379300963@lid", "200000000000001@lid", "200000000000002@lid"
			for _, n := range []struct{ chat, typ, body string }{
				{lid, "incomingMessageReceived", `{"typeWebhook":"incomingMessageReceived","idMessage":"L","senderData":{"chatId":"` + lid + `","sender":"` + lid + `","senderPhoneNumber":491512345678},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"Hallo"}}}`},
				{mentions, "incomingMessageReceived", `{"typeWebhook":"incomingMessageReceived","idMessage":"M","senderData":{"chatId":"` + mentions + `","sender":"` + mentions + `"},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"call 491512345678"}}}`},
				{outgoing, "outgoingMessageReceived", `{"typeWebhook":"outgoingMessageReceived","idMessage":"O","senderData":{"chatId":"` + outgoing + `","sender":"491512345678@c.us","senderPhoneNumber":491512345678},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"hi"}}}`},
			} {
				if _, err := store.AddNotification(ctx, queue.Notification{Instance: "1101000002", ChatID: n.chat, IDMessage: n.typ, TypeWebhook: n.typ, Body: []byte(n.body), ReceivedAt: now}); err != nil {
					t.Fatal(err)
				}
				if err := store.SaveProfile(ctx, bot.Profile{Instance: "1101000002", ChatID: n.chat, Info: greenapi.ContactInfo{Name: "Jana"}, FetchedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			for _, inst := range []string{"1101000001", "1101000002"} { // the same person wrote to two numbers
				if err := store.SaveProfile(ctx, bot.Profile{Instance: inst, ChatID: chat, Info: greenapi.ContactInfo{Name: "Jana", Email: "jana@example.de"}, FetchedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			store.Close()

			var out strings.Builder
			if err := run(ctx, []string{"forget", "+49 151 2345678"}, env(map[string]string{"DATABASE_URL": databaseURL}), &out, &out); err != nil {
				t.Fatalf("forget: %v\n%s", err, out.String())
			}
			if !strings.Contains(out.String(), "forgot 491512345678@c.us in ") || !strings.Contains(out.String(), "with every instance: 2 profiles, 0 chats, 0 first contacts, 1 notifications, 0 dead letters, 0 events") ||
				!strings.Contains(out.String(), "forgot "+lid+" in ") || strings.Count(out.String(), "forgot ") != 2 ||
				!strings.Contains(out.String(), "with every instance: 1 profiles, 0 chats, 0 first contacts, 1 notifications") ||
				!strings.Contains(out.String(), "@lid chats: 1 found whose notifications carried this number") {
				t.Errorf("forget said:\n%s", out.String())
			}
			store, err = openStore(ctx, databaseURL)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			if p, err := store.GetProfile(ctx, "1101000002", chat); err == nil {
				t.Errorf("the profile survived: %+v", p)
			}
			if p, err := store.GetProfile(ctx, "1101000002", lid); err == nil {
				t.Errorf("the @lid chat's profile survived: %+v", p)
			}
			for _, chat := range []string{mentions, outgoing} {
				if _, err := store.GetProfile(ctx, "1101000002", chat); err != nil {
					t.Errorf("%s, not the person's, was forgotten: %v", chat, err)
				}
			}
			// An @lid chat is forgotten by its id.
			out.Reset()
			if err := run(ctx, []string{"forget", mentions}, env(map[string]string{"DATABASE_URL": databaseURL}), &out, &out); err != nil ||
				!strings.Contains(out.String(), "forgot "+mentions+" in ") || !strings.Contains(out.String(), "1 profiles, 0 chats, 0 first contacts, 1 notifications") {
				t.Errorf("forget %s: %v\n%s", mentions, err, out.String())
			}
			if err := run(ctx, []string{"forget"}, env(map[string]string{"DATABASE_URL": databaseURL}), &out, &out); err == nil || !strings.Contains(err.Error(), "usage: frontdesk forget") {
				t.Errorf("forget without an argument: %v", err)
			}
		})
	}
}

// TestForgetUsageIsTypedAsShown is issue #27's item 5: the usage's example
// must work when typed as shown, a number with spaces quoted.
func TestForgetUsageIsTypedAsShown(t *testing.T) {
	t.Parallel()
	var out strings.Builder
	err := run(t.Context(), []string{"forget"}, env(nil), &out, &out)
	if err == nil || !strings.Contains(err.Error(), "frontdesk forget '+49 151 2345678'") {
		t.Errorf("usage: %v", err)
	}
}
