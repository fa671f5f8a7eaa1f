package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
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
				if !fc.AnsweredAt.IsZero() {
					t.Errorf("%s by %s: answered by %s at %v; Frontdesk's own poll or buttons are no person's answer", style, way, fc.AnsweredBy, fc.AnsweredAt)
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

// TestTapMenuFallsBackToTextOnce: when Green API refuses the poll or the
// buttons for good (a method it does not know: 404; a setting or the beta
// off: 400), the numbered menu goes instead, once, and never the poll too;
// the number then chooses. A 5xx first (the outcome unknown, the history
// read) and then the refusal still sends one text menu.
func TestTapMenuFallsBackToTextOnce(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store func(*setup)) {
		for _, style := range []string{bot.MenuPoll, bot.MenuButtons} {
			s := menuSystem(t, store, style)
			method := map[string]string{bot.MenuPoll: greenapi.MethodSendPoll, bot.MenuButtons: greenapi.MethodSendButtons}[style]
			for i, refusal := range []struct {
				name  string
				apply func()
			}{
				{"404", func() { s.srv.RefuseInteractive(404) }},
				{"400", func() { s.srv.RefuseInteractive(400) }},
				{"500 then 404", func() {
					s.srv.FailNext(method, 1, greenapitest.Fault{Status: 500})
					s.srv.RefuseInteractive(404)
				}},
			} {
				refusal.apply()
				chat, name := fmt.Sprintf("1212602%02d%02d@c.us", len(style), i), fmt.Sprintf("Bo %s %d", style, i)
				s.send(t, greenapitest.Incoming{ChatID: chat, SenderName: name, Text: "hi"})
				sent := s.srv.Sent(chat)
				if len(sent) != 2 || sent[1].Message != "Reply with a number:\n1 Sales\n2 Support\n3 Something else" || sent[1].Poll != nil || sent[1].Buttons != nil {
					t.Errorf("%s refused with %s: the sender got %+v; want the greeting, then the numbered menu once", style, refusal.name, sent)
				}
				s.send(t, greenapitest.Incoming{ChatID: chat, SenderName: name, Text: "2"})
				if fc := s.current(t, chat); fc.Choice != "support" || fc.ChoiceBy != bot.ChosenByNumber || len(s.summariesOf(name)) != 1 {
					t.Errorf("%s refused with %s: choice %q by %q, %d summaries; want support by number, one summary", style, refusal.name, fc.Choice, fc.ChoiceBy, len(s.summariesOf(name)))
				}
				s.srv.RefuseInteractive(0)
			}
		}
	})
}

// TestPollVotesRouteOnce: a vote delivered twice routes once; a vote that
// takes every option back is no choice; a vote on an older poll, or on
// another chat's, changes nothing; a vote changed after the choice is
// logged and routes nothing again.
func TestPollVotesRouteOnce(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store func(*setup)) {
		s := menuSystem(t, store, bot.MenuPoll)
		const chat, other = "12126030001@c.us", "12126030002@c.us"
		poll := greetedWithTap(t, s, chat, "Cy", bot.MenuPoll)
		otherPoll := greetedWithTap(t, s, other, "Di", bot.MenuPoll)

		// Another chat's poll, and a poll that is not the current menu.
		foreign := greenapitest.Vote(otherPoll, 0)
		foreign.ChatID = chat
		s.send(t, foreign)
		old := greenapitest.Vote(poll, 0)
		old.Data = greenapitest.Votes("BAE5OLDPOLL", poll.Message, poll.Poll, chat, 0)
		s.send(t, old)
		// Every option taken back.
		s.send(t, greenapitest.Vote(poll))
		if fc := s.current(t, chat); fc.Step != bot.StepChoosing || len(s.srv.Sent(chat)) != 2 {
			t.Fatalf("after votes that choose nothing: %s, %d messages; want the menu still waiting, nothing sent", fc.Step, len(s.srv.Sent(chat)))
		}

		vote := greenapitest.Vote(poll, 0)
		vote.SenderName = "Cy"
		vote.IDMessage = "3EB0VOTE1"
		_, body := s.srv.NewIncoming(vote)
		for range 2 { // delivered twice
			s.srv.Push(body)
			s.settle(t)
		}
		changed := greenapitest.Vote(poll, 2)
		changed.SenderName = "Cy"
		s.send(t, changed)
		fc := s.current(t, chat)
		if fc.Choice != "sales" || fc.ChoiceBy != bot.ChosenByPoll || fc.ChoiceMsg != "3EB0VOTE1" {
			t.Errorf("choice %q by %q (%s); want sales by the first vote", fc.Choice, fc.ChoiceBy, fc.ChoiceMsg)
		}
		if fc.ChangedTo != "other" || fc.ChangedAt.IsZero() {
			t.Errorf("the later vote recorded as %q at %v; want other, for the status page", fc.ChangedTo, fc.ChangedAt)
		}
		if sum := s.srv.Sent(salesChat); len(sum) != 1 || !strings.Contains(sum[0].Message, "Chosen: Sales") {
			t.Errorf("sales got %+v; want one summary", sum)
		}
		if n := len(s.summariesOf("Cy")); n != 0 {
			t.Errorf("%d summaries to the operators; want none (sales routes to its group)", n)
		}
		if !strings.Contains(s.logs.String(), "changed their answer to the menu after it ended") {
			t.Error("the changed vote was not logged")
		}
		if fc := s.current(t, other); fc.Step != bot.StepChoosing {
			t.Errorf("the other chat's menu %s; want it still waiting", fc.Step)
		}
	})
}

// TestTapMenuSettledAfterACrash: the poll or the buttons went out but the
// answer was lost (as when the process dies between the send and its
// record), or the call broke before it went out (as when it dies between
// the record and the send): the retry reads the chat's history and the
// menu goes out once. Then the vote's answer and summary fail the same
// ways: the vote's retries send each once.
func TestTapMenuSettledAfterACrash(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store func(*setup)) {
		for _, style := range []string{bot.MenuPoll, bot.MenuButtons} {
			s := menuSystem(t, store, style)
			method := map[string]string{bot.MenuPoll: greenapi.MethodSendPoll, bot.MenuButtons: greenapi.MethodSendButtons}[style]
			for i, fault := range []greenapitest.Fault{{Status: 500, AfterWork: true}, {Drop: true}} {
				s.srv.FailNext(method, 1, fault)
				chat := fmt.Sprintf("1212604%02d%02d@c.us", len(style), i)
				history := len(s.srv.Calls(greenapi.MethodGetChatHistory))
				name := fmt.Sprintf("Ed %s %d", style, i)
				menu := greetedWithTap(t, s, chat, name, style)
				if n := len(s.srv.Calls(greenapi.MethodGetChatHistory)); n == history {
					t.Errorf("%s, %+v: the history was not read before the retry", style, fault)
				}
				in := greenapitest.Vote(menu, 1)
				if style == bot.MenuButtons {
					in = greenapitest.Tap(menu, "interactiveButtonsResponse", 1)
				}
				in.SenderName = name
				// The choice's answer goes out and its answer is lost, the
				// summary's send breaks: the vote's retries finish each once.
				s.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500, AfterWork: true})
				s.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Drop: true})
				s.send(t, in)
				if fc := s.current(t, chat); fc.Choice != "support" || fc.Step != bot.StepDone {
					t.Errorf("%s, %+v: %s, choice %q; want done, support, by the menu that went out", style, fault, fc.Step, fc.Choice)
				}
				if sent := s.srv.Sent(chat); len(sent) != 3 {
					t.Errorf("%s, %+v: the sender got %d messages; want the greeting, the menu and the answer once each", style, fault, len(sent))
				}
				if n := len(s.summariesOf(name)); n != 1 {
					t.Errorf("%s, %+v: %d summaries; want one", style, fault, n)
				}
			}
		}
	})
}

// languagePoll is a rules file whose greeting offers German and Russian
// to an English speaker as style, and menu as the rule's menu style.
func languagePoll(style, menu string) string {
	return "[languages]\noffer = true\nchoices = [\"en\", \"de\", \"ru\"]\nmenu_style = \"" + style + "\"\n" + styledMenu(menu)
}

// TestLanguageChoiceAsPoll: with [languages] menu_style = "poll" the
// language list follows the greeting and its menu as a poll; a vote
// switches the chat's language and sends the greeting again in it, once
// (delivered twice, and changed later: still once); the menu's poll still
// routes. Refused, the numbered list goes instead, numbered after the
// menu's choices, and its number chooses.
func TestLanguageChoiceAsPoll(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, store func(*setup)) {
		s := newSystem(t, 2*time.Second, store, func(st *setup) { st.rules = languagePoll(bot.MenuPoll, bot.MenuPoll) })
		const chat = "12126050001@c.us"
		s.send(t, greenapitest.Incoming{ChatID: chat, SenderName: "Flo", Text: "hi"})
		sent := s.srv.Sent(chat)
		if len(sent) != 3 || strings.Contains(sent[0].Message, "Reply with its number") || sent[1].Poll == nil ||
			sent[2].Message != "Prefer another language?" || strings.Join(sent[2].Poll, "|") != "Deutsch|русский" {
			t.Fatalf("sent %+v; want the greeting, the menu's poll, then the languages' poll", sent)
		}
		vote := greenapitest.Vote(sent[2], 0)
		vote.SenderName, vote.IDMessage = "Flo", "3EB0LANGVOTE"
		_, body := s.srv.NewIncoming(vote)
		for range 2 {
			s.srv.Push(body)
			s.settle(t)
		}
		changed := greenapitest.Vote(sent[2], 1)
		changed.SenderName = "Flo"
		s.send(t, changed)
		after := s.srv.Sent(chat)
		// The menu went as a poll in English: the German greeting ends with
		// it numbered, in German.
		if len(after) != 4 || !strings.HasPrefix(after[3].Message, "Hallo, Flo!") || !strings.Contains(after[3].Message, "\n\nAntworten Sie mit einer Nummer:\n1 ") {
			t.Fatalf("after the votes: %+v; want the greeting once more, in German, with the menu numbered", after[3:])
		}
		if st, _ := s.store.GetChat(context.Background(), greenapitest.DefaultIDInstance, chat); st.Locale != "de" {
			t.Errorf("the chat's language %q; want de, the first vote's", st.Locale)
		}
		menuVote := greenapitest.Vote(sent[1], 1)
		menuVote.SenderName = "Flo"
		s.send(t, menuVote)
		if fc := s.current(t, chat); fc.Choice != "support" || fc.ChoiceBy != bot.ChosenByPoll {
			t.Errorf("choice %q by %q; want support by the menu's poll", fc.Choice, fc.ChoiceBy)
		}
		if got := s.srv.Sent(chat); len(got) != 5 || !strings.HasPrefix(got[4].Message, "Danke! Unser Kundendienst") {
			t.Errorf("the answer %+v; want it in German", got[4:])
		}

		// Refused: the numbered lists instead, the languages after the
		// menu's three choices.
		s.srv.RefuseInteractive(404)
		const refused = "12126050002@c.us"
		s.send(t, greenapitest.Incoming{ChatID: refused, SenderName: "Gil", Text: "hi"})
		sent = s.srv.Sent(refused)
		if len(sent) != 3 || sent[1].Message != "Reply with a number:\n1 Sales\n2 Support\n3 Something else" ||
			sent[2].Message != "Prefer another language? Reply with its number:\n4 Deutsch\n5 русский" {
			t.Fatalf("refused: sent %+v; want the greeting and the two numbered lists", sent)
		}
		s.send(t, greenapitest.Incoming{ChatID: refused, SenderName: "Gil", Text: "5"})
		if got := s.srv.Sent(refused); len(got) != 4 || !strings.HasPrefix(got[3].Message, "Здравствуйте, Gil!") {
			t.Errorf("after 5: %+v; want the greeting again in Russian", got[3:])
		}
	})
}

// TestTwoReplicasRouteAVoteOnce: two replicas on one PostgreSQL database
// behind one number; the greeting's notification reaches the first, the
// same vote reaches both (Green API resends to whichever answers): the
// vote is stored once and routes once.
func TestTwoReplicasRouteAVoteOnce(t *testing.T) {
	t.Parallel()
	srv := greenapitest.New(t, greenapitest.WithLimit(greenapi.MethodGetContactInfo, 1000))
	var replicas []*system
	for _, store := range replicaStores(t, 2) {
		replicas = append(replicas, newSystemOn(t, srv, 2*time.Second, func(st *setup) { st.store, st.rules = store, styledMenu(bot.MenuPoll) }))
	}
	const chat = "12126060001@c.us"
	poll := greetedWithTap(t, replicas[0], chat, "Hal", bot.MenuPoll)
	vote := greenapitest.Vote(poll, 0)
	vote.SenderName = "Hal"
	_, body := srv.NewIncoming(vote)
	for _, r := range replicas {
		if _, err := r.inbox.Accept(context.Background(), greenapitest.DefaultIDInstance, body); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range replicas {
		r.settle(t)
	}
	if fc := replicas[1].current(t, chat); fc.Choice != "sales" || fc.ChoiceBy != bot.ChosenByPoll {
		t.Errorf("choice %q by %q; want sales by the poll", fc.Choice, fc.ChoiceBy)
	}
	if sum := srv.Sent(salesChat); len(sum) != 1 {
		t.Errorf("sales got %d summaries; want one", len(sum))
	}
}
