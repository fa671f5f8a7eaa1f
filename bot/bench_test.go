package bot_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// The micro-benchmarks of the first-contact decision; figures in BENCHMARKS.md.
//
//	go test -run '^$' -bench . -benchmem ./bot

func BenchmarkMatchDefaultRules(b *testing.B) {
	catalog := mustCatalog(b)
	rules, err := bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), catalog)
	if err != nil {
		b.Fatal(err)
	}
	products := []bot.ProductData{{Name: "Espresso"}, {Name: "Latte"}}
	for _, tt := range []struct {
		name  string
		facts bot.Facts
		want  string
	}{
		{"business with catalogue", bot.Facts{Name: "Bean There", Category: "Coffee shop", Products: products, Region: "US", Locale: "en", Text: "hi"}, "business-with-catalogue"},
		{"business", bot.Facts{Name: "Bean There", Category: "Coffee shop", Region: "DE", Locale: "de", Text: "hallo"}, "business"},
		{"named contact", bot.Facts{Name: "Ivan", Region: "RU", Locale: "ru", Text: "привет"}, "named-contact"},
		{"anyone else", bot.Facts{Region: "BR", Locale: "pt", Text: "oi"}, "anyone-else"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if r := rules.Match(tt.facts); r == nil || r.ID != tt.want {
					b.Fatalf("matched %v, want %s", r, tt.want)
				}
			}
		})
	}
}

func BenchmarkChooseLocale(b *testing.B) {
	catalog := mustCatalog(b)
	for _, tt := range []struct{ digits, want string }{
		{"79001234567", "ru"},
		{"5511987654321", "pt"},
		{"972501234567", "he"},
		{"41791234567", "de"},
		{"12125551234", "en"},
	} {
		b.Run(tt.want+"/"+tt.digits[:2], func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				region, _ := bot.RegionOf(tt.digits)
				if got := catalog.LocaleForRegion(region); got != tt.want {
					b.Fatalf("%s: locale %s, want %s", tt.digits, got, tt.want)
				}
			}
		})
	}
}

func BenchmarkRenderCatalogueGreeting(b *testing.B) {
	catalog := mustCatalog(b)
	for _, n := range []int{5, 100, 2000} {
		products := make([]bot.ProductData, n)
		for i := range products {
			products[i] = bot.ProductData{Name: fmt.Sprintf("Single-origin beans no. %d", i+1), Description: "Roasted this week", Price: "12.50 EUR"}
		}
		data := bot.TemplateData{Name: "Bean There", Category: "Coffee shop", ProductCount: n, Products: products}
		for _, locale := range []string{"en", "ru"} {
			b.Run(fmt.Sprintf("%s/%d products", locale, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					text, err := catalog.RenderReply(locale, bot.MsgGreetingCatalogue, data)
					if err != nil || len(text) < 100 {
						b.Fatalf("%q, %v", text, err)
					}
				}
			})
		}
	}
}

// BenchmarkKnownSenderMessage: one message of a sender greeted before, as
// the pool hands it to the bot (SQLite, the claim included), with rules
// without a menu, and with a menu: answered (the message reads the first
// contact, finds it done) or waiting (read, and the hint sent before).
func BenchmarkKnownSenderMessage(b *testing.B) {
	for _, tt := range []struct {
		name, rules, after string
	}{
		{"no menu", "[[rule]]\nid = \"all\"\nreply = \"greeting_named\"\n", ""},
		{"menu answered", menuRules, "1"},
		{"menu waiting, hinted", menuRules, "what?"},
	} {
		b.Run(tt.name, func(b *testing.B) {
			h := newHarness(b, true)
			h.useRules(tt.rules)
			const chat = "12125550130@c.us"
			h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "hi"})
			if tt.after != "" {
				h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: tt.after})
			}
			sent := len(h.srv.Sent())
			notifications := make([]queue.Notification, 0, b.N)
			for range b.N {
				id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "and one more thing", Time: h.now})
				notifications = append(notifications, queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now})
			}
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for _, n := range notifications {
				if err := h.bot.Handle(ctx, n); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if got := len(h.srv.Sent()); got != sent {
				b.Fatalf("%d messages sent to a known sender", got-sent)
			}
		})
	}
}
