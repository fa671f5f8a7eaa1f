package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/store/postgres"
	"github.com/frontdesk-bot/frontdesk/store/postgres/postgrestest"
)

// styledMenu is menuRules with the menu as style.
func styledMenu(style string) string {
	return strings.Replace(menuRules, "choice_wait", "menu_style = \""+style+"\"\nchoice_wait", 1)
}

// onEachStore runs test on SQLite and on PostgreSQL (skipped without a
// server, unless FRONTDESK_TEST_POSTGRES_REQUIRED is set), with an option
// that puts a system on that store.
func onEachStore(t *testing.T, test func(t *testing.T, store func(*setup))) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, func(*setup) {})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		db := postgrestest.SchemaURL(t)
		test(t, func(st *setup) {
			store, err := postgres.Open(context.Background(), db)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { store.Close() })
			st.store = store
		})
	})
}

// menuSystem is a system with the example menu as style, events on.
func menuSystem(t *testing.T, store func(*setup), style string) *system {
	t.Helper()
	return newSystem(t, 2*time.Second, store, func(st *setup) { st.rules, st.bot.Events = styledMenu(style), true })
}

// settle delivers what the fake queued (the senders' messages and the
// echoes of what Frontdesk sent) until nothing is left to handle.
func (s *system) settle(t *testing.T) {
	t.Helper()
	for {
		s.deliver(t)
		s.drain(t, 20*time.Second)
		if s.srv.QueueLen() == 0 && s.pool.Depth() == 0 {
			return
		}
	}
}

// send has in written and handled.
func (s *system) send(t *testing.T, in greenapitest.Incoming) {
	t.Helper()
	s.srv.PushIncoming(in)
	s.settle(t)
}

// current is the record of the chat's current first contact.
func (s *system) current(t *testing.T, chat string) bot.FirstContact {
	t.Helper()
	st, err := s.store.GetChat(context.Background(), greenapitest.DefaultIDInstance, chat)
	if err != nil {
		t.Fatal(err)
	}
	fc, err := s.store.GetFirstContact(context.Background(), greenapitest.DefaultIDInstance, chat, st.FirstContactMsg)
	if err != nil {
		t.Fatal(err)
	}
	return fc
}

// summariesOf are the summaries the operators got of the sender name.
func (s *system) summariesOf(name string) []string {
	var out []string
	for _, m := range s.srv.Sent(operatorChat) {
		if strings.Contains(m.Message, name) {
			out = append(out, m.Message)
		}
	}
	return out
}

var exampleOptions = []string{"Sales", "Support", "Something else"}

// greetedWithTap has name write to chat and checks what came back: the
// greeting without the numbered list, then the menu as style (a poll or
// buttons with the example's options); it returns the menu as sent.
func greetedWithTap(t *testing.T, s *system, chat, name, style string) greenapitest.SentMessage {
	t.Helper()
	s.send(t, greenapitest.Incoming{ChatID: chat, SenderName: name, Text: "hi"})
	sent := s.srv.Sent(chat)
	if len(sent) != 2 || strings.Contains(sent[0].Message, "Reply with a number") || !strings.HasPrefix(sent[0].Message, "Hello, "+name) {
		t.Fatalf("sent %+v; want the greeting without the numbered list, then the %s", sent, style)
	}
	menu := sent[1]
	options := menu.Poll
	if style == bot.MenuButtons {
		options = menu.Buttons
	}
	if menu.Message != "What can we help you with?" || strings.Join(options, "|") != strings.Join(exampleOptions, "|") {
		t.Fatalf("the %s %+v; want the question and the labels", style, menu)
	}
	if fc := s.current(t, chat); fc.Step != bot.StepChoosing {
		t.Fatalf("first contact %s; want the menu waiting", fc.Step)
	}
	return menu
}

// TestTapMenuSentAndAnsweredEachWay: with menu_style poll or buttons the
// greeting goes as before without the numbered list, and the menu follows
// as a poll or buttons; a vote, a tap in each shape Green API sends, the
// number and the label each choose, once: the answer, the summary (which
// says what was chosen), and the first_contact event saying how.
func TestTapMenuSentAndAnsweredEachWay(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store func(*setup)) {
		for _, style := range []string{bot.MenuPoll, bot.MenuButtons} {
			s := menuSystem(t, store, style)
			ways := map[string]func(menu greenapitest.SentMessage) greenapitest.Incoming{
				"number": func(m greenapitest.SentMessage) greenapitest.Incoming {
					return greenapitest.Incoming{ChatID: m.ChatID, Text: "2"}
				},
				"label": func(m greenapitest.SentMessage) greenapitest.Incoming {
					return greenapitest.Incoming{ChatID: m.ChatID, Text: "support!"}
				},
			}
			if style == bot.MenuPoll {
				ways["poll"] = func(m greenapitest.SentMessage) greenapitest.Incoming { return greenapitest.Vote(m, 1) }
			} else {
				for _, shape := range greenapitest.ButtonShapes {
					ways["button "+shape] = func(m greenapitest.SentMessage) greenapitest.Incoming { return greenapitest.Tap(m, shape, 1) }
				}
			}
			i, events := 0, []string(nil)
			for way, answer := range ways {
				i++
				chat, name := fmt.Sprintf("1212601%02d%02d@c.us", len(style), i), fmt.Sprintf("Ann %s %d", style, i)
				menu := greetedWithTap(t, s, chat, name, style)
				in := answer(menu)
				in.SenderName = name
				s.send(t, in)
				fc := s.current(t, chat)
				wantBy := strings.Fields(way)[0]
				if fc.Step != bot.StepDone || fc.Choice != "support" || fc.ChoiceBy != wantBy {
					t.Errorf("%s by %s: first contact %s, choice %q by %q; want done, support by %s", style, way, fc.Step, fc.Choice, fc.ChoiceBy, wantBy)
				}
				if sent := s.srv.Sent(chat); len(sent) != 3 || !strings.HasPrefix(sent[2].Message, "Thank you! Our support team") {
					t.Errorf("%s by %s: the sender got %+v; want the greeting, the menu and the answer", style, way, sent)
				}
				if sum := s.summariesOf(name); len(sum) != 1 || !strings.Contains(sum[0], "Chosen: Support") {
					t.Errorf("%s by %s: summaries %q; want one that says Support", style, way, sum)
				}
				events = append(events, eventsIn(t, s.store)...)
				if e := eventOf(events, "first_contact", name); !strings.Contains(e, `"choice":"support"`) || !strings.Contains(e, `"choice_by":"`+wantBy+`"`) {
					t.Errorf("%s by %s: event %s; want the choice and how it was made", style, way, e)
				}
			}
		}
	})
}

// eventsIn takes every event due in store's outbox, as delivered.
func eventsIn(t *testing.T, store bot.Store) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	for {
		events, err := store.DueEvents(ctx, time.Now().Add(48*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			return out
		}
		for _, e := range events {
			out = append(out, string(e.Body))
			if err := store.SettleEvent(ctx, e.Seq, bot.EventSettlement{At: time.Now(), Delivered: true, Attempts: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// eventOf is the event of type typ that names the sender name, or "".
func eventOf(events []string, typ, name string) string {
	for _, e := range events {
		if strings.Contains(e, `"type":"`+typ+`"`) && strings.Contains(e, `"name":"`+name+`"`) {
			return e
		}
	}
	return ""
}
