package bot_test

import (
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func hoursOf(t *testing.T, table string) *bot.Hours {
	t.Helper()
	rules, err := bot.ParseRules("rules.toml", []byte(table+"\n[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\n"), mustCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	return rules.Hours
}

// TestHoursAcrossZonesAndSummerTime: open or closed, and the next opening,
// at local wall-clock times, across changes to and from summer time,
// ranges past midnight and closed dates.
func TestHoursAcrossZonesAndSummerTime(t *testing.T) {
	t.Parallel()
	berlin := hoursOf(t, `[hours]
timezone = "Europe/Berlin"
monday = ["09:00-18:00"]
tuesday = ["09:00-12:00", "13:00-18:00"]
wednesday = ["09:00-18:00"]
thursday = ["09:00-18:00"]
friday = ["09:00-18:00", "22:00-02:00"]
saturday = ["10:00-14:00"]
sunday = ["01:00-04:00"]
closed = ["2026-12-25"]`)
	saoPaulo := hoursOf(t, `[hours]
timezone = "America/Sao_Paulo"
monday = ["08:00-17:00"]
tuesday = ["08:00-17:00"]`)
	jerusalem := hoursOf(t, `[hours]
timezone = "Asia/Jerusalem"
sunday = ["09:00-17:00"]
thursday = ["09:00-17:00"]
friday = ["09:00-13:00"]`)
	be, sp, je := mustLoad(t, "Europe/Berlin"), mustLoad(t, "America/Sao_Paulo"), mustLoad(t, "Asia/Jerusalem")
	at := func(loc *time.Location, y int, m time.Month, d, h, min int) time.Time {
		return time.Date(y, m, d, h, min, 0, 0, loc)
	}
	tests := []struct {
		name  string
		hours *bot.Hours
		at    time.Time
		open  bool
		next  time.Time // when closed
	}{
		{"Berlin, Monday morning", berlin, at(be, 2026, 11, 30, 9, 0), true, time.Time{}},
		{"Berlin, Monday before opening", berlin, at(be, 2026, 11, 30, 8, 59), false, at(be, 2026, 11, 30, 9, 0)},
		{"Berlin, Tuesday's lunch break", berlin, at(be, 2026, 12, 1, 12, 30), false, at(be, 2026, 12, 1, 13, 0)},
		{"Berlin, Friday night, past midnight", berlin, at(be, 2026, 12, 5, 1, 30), true, time.Time{}},
		{"Berlin, Saturday when the night range ended", berlin, at(be, 2026, 12, 5, 2, 0), false, at(be, 2026, 12, 5, 10, 0)},
		{"Berlin, Christmas (a Friday), closed", berlin, at(be, 2026, 12, 25, 11, 0), false, at(be, 2026, 12, 26, 10, 0)},
		{"Berlin, Christmas Eve evening: next is after the holiday", berlin, at(be, 2026, 12, 24, 19, 0), false, at(be, 2026, 12, 26, 10, 0)},
		{"Berlin, Saturday evening: next is Sunday 01:00", berlin, at(be, 2026, 3, 28, 23, 0), false, at(be, 2026, 3, 29, 1, 0)},
		{"Berlin, spring forward: 03:30 CEST is open", berlin, at(be, 2026, 3, 29, 3, 30), true, time.Time{}},
		{"Berlin, spring forward: 04:00 CEST closes", berlin, at(be, 2026, 3, 29, 4, 0), false, at(be, 2026, 3, 30, 9, 0)},
		{"Berlin, fall back: 02:30 the first time", berlin, time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), true, time.Time{}},
		{"Berlin, fall back: 02:30 the second time", berlin, time.Date(2026, 10, 25, 1, 30, 0, 0, time.UTC), true, time.Time{}},
		{"Berlin, fall back: 04:00 CET closes", berlin, time.Date(2026, 10, 25, 3, 0, 0, 0, time.UTC), false, at(be, 2026, 10, 26, 9, 0)},
		{"São Paulo, Monday 07:59", saoPaulo, at(sp, 2026, 11, 2, 7, 59), false, at(sp, 2026, 11, 2, 8, 0)},
		{"São Paulo, Tuesday 16:59", saoPaulo, at(sp, 2026, 11, 3, 16, 59), true, time.Time{}},
		{"São Paulo, Tuesday evening: next Monday", saoPaulo, at(sp, 2026, 11, 3, 17, 0), false, at(sp, 2026, 11, 9, 8, 0)},
		{"Jerusalem, Friday 14:00: next Sunday", jerusalem, at(je, 2026, 3, 27, 14, 0), false, at(je, 2026, 3, 29, 9, 0)},
		{"Jerusalem, Sunday after the change to summer time", jerusalem, at(je, 2026, 3, 29, 9, 30), true, time.Time{}},
		{"Jerusalem, Saturday: closed", jerusalem, at(je, 2026, 10, 24, 12, 0), false, at(je, 2026, 10, 25, 9, 0)},
		{"Jerusalem, Sunday after the change to winter time", jerusalem, at(je, 2026, 10, 25, 8, 59), false, at(je, 2026, 10, 25, 9, 0)},
	}
	for _, tt := range tests {
		if open := tt.hours.Open(tt.at); open != tt.open {
			t.Errorf("%s (%v): open %v, want %v", tt.name, tt.at, open, tt.open)
		}
		want := tt.next
		if tt.open {
			want = tt.at
		}
		if next := tt.hours.NextOpen(tt.at); !next.Equal(want) {
			t.Errorf("%s (%v): next opening %v, want %v", tt.name, tt.at, next, want)
		}
	}
}

func TestHoursMistakesNameFileLineAndKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		table, want string
	}{
		{"[hours]\ntimezone = \"Mars/Olympus\"", `rules.toml:2: hours: timezone: "Mars/Olympus" is not an IANA time zone`},
		{"[hours]\ntimezone = \"Europe/Berlin\"\nmonday = [\"9-18\"]", `rules.toml:3: hours: monday: "9-18": "9" is not a time of day (HH:MM)`},
		{"[hours]\ntimezone = \"Europe/Berlin\"\nclosed = [\"25.12.2026\"]", `rules.toml:3: hours: closed: "25.12.2026" is not a date; expected YYYY-MM-DD`},
		{"[hours]\ntimezone = \"Europe/Berlin\"\naway = \"sometimes\"", `rules.toml:3: hours: away: "sometimes": expected`},
		{"[hours]\ntimezone = \"Europe/Berlin\"\naway_reply = \"gone_fishing\"", `rules.toml:3: hours: away_reply: message "gone_fishing" is not in the default locale "en"`},
	}
	for _, tt := range tests {
		_, err := bot.ParseRules("rules.toml", []byte(tt.table+"\n[[rule]]\nid = \"all\"\nreply = \"\"\n"), mustCatalog(t))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: %v; want %q", tt.table, err, tt.want)
		}
	}
	_, err := bot.ParseRules("rules.toml", []byte("[[rule]]\nid = \"night\"\nopen = false\nreply = \"away\"\n"), mustCatalog(t))
	if err == nil || !strings.Contains(err.Error(), `rules.toml:3: rule "night": open: needs the business's hours`) {
		t.Errorf("open without [hours]: %v", err)
	}
}

// TestAwayReplies: a new sender writing while closed is greeted with the
// away reply, which says when the business opens in the sender's language
// and the business's time zone; a second message in the same closed period
// gets nothing; a known sender writing in the next closed period gets one
// away reply (away = "everyone"); nothing while open.
func TestAwayReplies(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.NewSenderAfter = 14 * 24 * time.Hour })
	h.useRules(`[hours]
timezone = "Europe/Berlin"
monday = ["09:00-18:00"]
tuesday = ["09:00-18:00"]
away = "everyone"

[[rule]]
id = "closed"
open = false
reply = "away"

[[rule]]
id = "open"
reply = "greeting_generic"
`)
	be := mustLoad(t, "Europe/Berlin")
	h.mu.Lock()
	h.now = time.Date(2026, 11, 28, 20, 0, 0, 0, be) // Saturday evening
	h.mu.Unlock()
	const chat = "4915123456789@c.us"
	h.write(greenapitest.Incoming{ChatID: chat, Text: "Hallo?"})
	sent := h.srv.Sent(chat)
	if want := "Danke für Ihre Nachricht! Wir haben gerade geschlossen und antworten, sobald wir am Montag um 09:00 Uhr öffnen."; len(sent) != 1 || sent[0].Message != want {
		t.Fatalf("sent %+v; want %q", sent, want)
	}
	h.advance(time.Hour)
	h.write(greenapitest.Incoming{ChatID: chat, Text: "Hallo??"})
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Fatalf("a second message in the same closed period got %+v", sent[1:])
	}
	h.advance(40 * time.Hour) // Monday 13:00: open
	h.write(greenapitest.Incoming{ChatID: chat, Text: "Sind Sie da?"})
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Fatalf("a known sender while open got %+v", sent[1:])
	}
	h.advance(8 * time.Hour) // Monday 21:00: closed again
	h.write(greenapitest.Incoming{ChatID: chat, Text: "Noch eine Frage"})
	h.write(greenapitest.Incoming{ChatID: chat, Text: "Und noch eine"})
	sent = h.srv.Sent(chat)
	if len(sent) != 2 || !strings.Contains(sent[1].Message, "am Dienstag um 09:00 Uhr") {
		t.Errorf("in the next closed period: %+v; want one away reply naming Tuesday", sent)
	}
}

// TestAwayReplyOnceAcrossAnAmbiguousFailure: the away reply's send answers
// 500 after the message went out; the retry finds it in the chat's history
// (the fake's history is dated by the real clock: the test keeps it).
func TestAwayReplyOnceAcrossAnAmbiguousFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	tomorrow := strings.ToLower(time.Now().UTC().Add(24 * time.Hour).Weekday().String())
	h.useRules("[hours]\ntimezone = \"UTC\"\n" + tomorrow + " = [\"09:00-17:00\"]\naway = \"everyone\"\n\n[[rule]]\nid = \"all\"\nreply = \"greeting_generic\"\n")
	const chat = "12125550107@c.us"
	h.businessWrites(chat) // a known chat
	h.srv.FailNext("sendMessage", 1, greenapitest.Fault{Status: 500, AfterWork: true})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, Text: "hello?", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now}
	h.handleUntilDone(n) // as the pool retries it
	sent := h.srv.Sent(chat)
	if len(sent) != 1 || !strings.HasPrefix(sent[0].Message, "Thank you for your message! We are closed now") {
		t.Errorf("sent %+v; want the away reply once", sent)
	}
}
