// Package storetest is the test suite every bot.Store implementation must
// pass: store/sqlite and store/postgres run it.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Run runs the suite; open returns a new, empty store for each test.
func Run(t *testing.T, open func(t *testing.T) bot.Store) {
	tests := map[string]func(*testing.T, bot.Store){
		"NotificationsDeduplicateOnChatAndMessage": testDedupe,
		"PendingInOrderUntilFinished":              testPending,
		"DeadLetters":                              testDeadLetters,
		"FirstContactClaim":                        testClaim,
		"ConcurrentClaimHasOneWinner":              testConcurrentClaim,
		"Profiles":                                 testProfiles,
		"FirstContactRecords":                      testFirstContacts,
		"PruneFinishedNotifications":               testPrune,
		"ForgetAContactEverywhere":                 testForget,
		"NotificationsOfLIDChats":                  testLIDNotifications,
		"PruneOldContacts":                         testPruneContacts,
		"OutboxOrderPerChat":                       testOutbox,
		"InstancesKeepTheirOwnChats":               testInstances,
		"AdoptUnassigned":                          testAdopt,
		"RecentForTheStatusPage":                   testRecent,
		"ChatStateAndMessages":                     testChatState,
		"MenusWhoseWaitEnded":                      testDueChoices,
		"MenusOfServedNumbersOnly":                 testDueChoicesOfServedNumbers,
		"ReleasedFirstContactIsClaimedAgain":       testReleaseFirstContact,
		"FirstAnswerOfAPerson":                     testMarkAnswered,
		"RemindersThatAreDue":                      testDueReminders,
		"WaitingForAnAnswer":                       testWaitingForAnswer,
		"ChatSaysWhetherItsMenuWaits":              testMenuWaits,
		"ClaimInTheOperatorsChat":                  testTakeFirstContact,
		"DigestFigures":                            testDayFigures,
		"OneCallReplyPerPeriod":                    testCallReply,
		"AnswerChangedAfterTheChoice":              testAnswerChanged,
		"FollowUpQuestions":                        testRatings,
		"MenuAsPollOrButtons":                      testMenuMessage,
	}
	for name, test := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// inst is the instance of most tests; other is a second number.
const (
	inst  = "1101000001"
	other = "1101000002"
)

func notification(chat, id string) queue.Notification {
	return queue.Notification{Instance: inst, ChatID: chat, IDMessage: id, TypeWebhook: greenapi.TypeIncomingMessageReceived,
		Body: []byte(`{"chat":"` + chat + `"}`), ReceivedAt: t0}
}

func testDedupe(t *testing.T, s bot.Store) {
	ctx := context.Background()
	for _, tc := range []struct {
		chat, id string
		want     bool
	}{
		{"1@c.us", "A", true},
		{"1@c.us", "A", false}, // Green API resent it
		{"2@c.us", "A", true},  // idMessage is unique only within a chat
		{"1@c.us", "B", true},
	} {
		id, err := s.AddNotification(ctx, notification(tc.chat, tc.id))
		if err != nil || (id != 0) != tc.want {
			t.Errorf("AddNotification(%s, %s) = %v, %v; want added %v", tc.chat, tc.id, id, err, tc.want)
		}
	}
	if n, _ := s.CountPending(ctx); n != 3 {
		t.Errorf("CountPending = %d, want 3", n)
	}
}

func testPending(t *testing.T, s bot.Store) {
	ctx := context.Background()
	for i := range 3 {
		if _, err := s.AddNotification(ctx, notification("1@c.us", fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	pending, err := s.PendingNotifications(ctx, 0, 100)
	if err != nil || len(pending) != 3 {
		t.Fatalf("PendingNotifications = %v, %v", pending, err)
	}
	for i, p := range pending {
		if p.IDMessage != fmt.Sprint(i) {
			t.Errorf("pending[%d] = %s, want in arrival order", i, p.IDMessage)
		}
	}
	got, err := s.GetNotification(ctx, pending[1].ID)
	if err != nil || string(got.Body) != `{"chat":"1@c.us"}` || got.TypeWebhook != greenapi.TypeIncomingMessageReceived || !got.ReceivedAt.Equal(t0) || got.Finished {
		t.Errorf("GetNotification = %+v, %v", got, err)
	}
	if err := s.FinishNotification(ctx, pending[1].ID, t0); err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetNotification(ctx, pending[1].ID); err != nil || !got.Finished {
		t.Errorf("GetNotification after finishing = %+v, %v; want Finished", got, err)
	}
	pending, _ = s.PendingNotifications(ctx, 0, 100)
	if len(pending) != 2 || pending[0].IDMessage != "0" || pending[1].IDMessage != "2" {
		t.Errorf("after finishing one: %+v", pending)
	}
	// Paging: after an id, at most limit.
	if page, err := s.PendingNotifications(ctx, pending[0].ID, 1); err != nil || len(page) != 1 || page[0].IDMessage != "2" {
		t.Errorf("PendingNotifications(after %d, 1) = %+v, %v; want only message 2", pending[0].ID, page, err)
	}
	if page, _ := s.PendingNotifications(ctx, 0, 1); len(page) != 1 || page[0].IDMessage != "0" {
		t.Errorf("PendingNotifications(0, 1) = %+v; want only message 0", page)
	}
	if page, _ := s.PendingNotifications(ctx, pending[1].ID, 100); len(page) != 0 {
		t.Errorf("PendingNotifications past the last = %+v", page)
	}
	if _, err := s.GetNotification(ctx, 9999); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("GetNotification(missing) err = %v", err)
	}
	// A finished notification still deduplicates.
	if id, _ := s.AddNotification(ctx, notification("1@c.us", "1")); id != 0 {
		t.Error("a finished notification was added again")
	}
}

func testDeadLetters(t *testing.T, s bot.Store) {
	if err := s.AddDeadLetter(context.Background(), inst, []byte("not json"), "invalid", t0); err != nil {
		t.Fatal(err)
	}
}

func testClaim(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const window = 14 * 24 * time.Hour
	steps := []struct {
		name     string
		chat, id string
		at       time.Time
		incoming bool
		after    time.Duration
		want     bool
	}{
		{"first message ever claims", "1@c.us", "m1", t0, true, window, true},
		{"second message does not", "1@c.us", "m2", t0.Add(time.Minute), true, window, false},
		{"the first message handled again still holds the claim", "1@c.us", "m1", t0, true, window, true},
		{"after a long silence a new first contact", "1@c.us", "m3", t0.Add(window + 2*time.Minute), true, window, true},
		{"with 0, only the first message ever", "1@c.us", "m4", t0.Add(100 * window), true, 0, false},
		{"business wrote first", "2@c.us", "o1", t0, false, window, false},
		{"so the reply is not a first contact", "2@c.us", "m5", t0.Add(time.Hour), true, window, false},
		{"but after silence it is", "2@c.us", "m6", t0.Add(window + 2*time.Hour), true, window, true},
	}
	for _, st := range steps {
		if !st.incoming {
			if err := s.MarkKnown(ctx, inst, st.chat, st.at, time.Time{}); err != nil {
				t.Errorf("%s: MarkKnown: %v", st.name, err)
			}
			continue
		}
		got, err := s.ClaimFirstContact(ctx, inst, st.chat, st.id, st.at, st.after)
		if err != nil || got.Claimed != st.want {
			t.Errorf("%s: ClaimFirstContact = %v, %v; want %v", st.name, got, err, st.want)
		}
	}
}

func testConcurrentClaim(t *testing.T, s bot.Store) {
	ctx := context.Background()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		claims int
	)
	for i := range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, err := s.ClaimFirstContact(ctx, inst, "9@c.us", fmt.Sprint("burst", i), t0, time.Hour)
			claimed := st.Claimed
			if err != nil {
				t.Error(err)
			}
			if claimed {
				mu.Lock()
				claims++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if claims != 1 {
		t.Errorf("%d of 5 simultaneous messages claimed the first contact, want 1", claims)
	}
}

func testProfiles(t *testing.T, s bot.Store) {
	ctx := context.Background()
	if _, err := s.GetProfile(ctx, inst, "1@c.us"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("missing profile: err = %v", err)
	}
	p := bot.Profile{Instance: inst, ChatID: "1@c.us", FetchedAt: t0, Info: greenapi.ContactInfo{Name: "Dealer", Category: "Auto",
		Products: []greenapi.Product{{Name: "Oil change", IsHidden: true}}}}
	if err := s.SaveProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	p.Info.Name = "Dealer 2"
	p.FetchedAt = t0.Add(time.Hour)
	if err := s.SaveProfile(ctx, p); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetProfile(ctx, inst, "1@c.us")
	if err != nil || got.Info.Name != "Dealer 2" || !got.FetchedAt.Equal(p.FetchedAt) || len(got.Info.Products) != 1 || !got.Info.Products[0].IsHidden {
		t.Errorf("GetProfile = %+v, %v", got, err)
	}
}

func testFirstContacts(t *testing.T, s bot.Store) {
	ctx := context.Background()
	if _, err := s.GetFirstContact(ctx, inst, "1@c.us", "m"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("missing first contact: err = %v", err)
	}
	fc := bot.FirstContact{Instance: inst, ChatID: "1@c.us", IDMessage: "m", Step: bot.StepClaimed, CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveFirstContact(ctx, fc); err != nil {
		t.Fatal(err)
	}
	fc.Step, fc.Rule, fc.Tag, fc.Locale = bot.StepDecided, "catalogue", "lead", "ru"
	fc.Reply = bot.Outgoing{Text: "Здравствуйте", Attempted: true, ID: "BAE5", FileURL: "https://example.com/menu.pdf", FileName: "menu.pdf", TypingMS: 2000}
	fc.Summary = bot.Outgoing{To: "ops@g.us", Text: "New lead", Attempted: true, ID: "BAE6"}
	fc.Degraded, fc.UpdatedAt = "lookup timed out", t0.Add(time.Second)
	fc.ChoiceUntil, fc.Choice, fc.ChoiceMsg, fc.ChoiceBy = t0.Add(15*time.Minute), "support", "m2", bot.ChosenByPoll
	fc.Answer = bot.Outgoing{Text: "Поддержка: 9–18", Attempted: true, ID: "BAE7"}
	if err := s.SaveFirstContact(ctx, fc); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetFirstContact(ctx, inst, "1@c.us", "m")
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(fc.CreatedAt) || !got.UpdatedAt.Equal(fc.UpdatedAt) || !got.ChoiceUntil.Equal(fc.ChoiceUntil) {
		t.Errorf("times = %v %v %v", got.CreatedAt, got.UpdatedAt, got.ChoiceUntil)
	}
	got.CreatedAt, got.UpdatedAt, got.ChoiceUntil = fc.CreatedAt, fc.UpdatedAt, fc.ChoiceUntil
	if !reflect.DeepEqual(got, fc) {
		t.Errorf("GetFirstContact =\n%+v\nwant\n%+v", got, fc)
	}
}

func testPrune(t *testing.T, s bot.Store) {
	ctx := context.Background()
	var ids []int64
	for i := range 5 {
		id, err := s.AddNotification(ctx, notification("1@c.us", fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// 0, 1 and 2 finished long ago, 3 just now, 4 not at all.
	for i, at := range []time.Time{t0, t0, t0.Add(time.Minute), t0.Add(48 * time.Hour)} {
		if err := s.FinishNotification(ctx, ids[i], at); err != nil {
			t.Fatal(err)
		}
	}
	cutoff := t0.Add(24 * time.Hour)
	if n, err := s.PruneNotifications(ctx, cutoff, 2); err != nil || n != 2 {
		t.Fatalf("PruneNotifications(limit 2) = %d, %v; want 2", n, err)
	}
	if n, err := s.PruneNotifications(ctx, cutoff, 10); err != nil || n != 1 {
		t.Fatalf("PruneNotifications again = %d, %v; want the 1 left", n, err)
	}
	if n, _ := s.PruneNotifications(ctx, cutoff, 10); n != 0 {
		t.Errorf("a third prune deleted %d", n)
	}
	for i, id := range ids {
		_, err := s.GetNotification(ctx, id)
		if gone := errors.Is(err, bot.ErrNotFound); gone != (i < 3) {
			t.Errorf("notification %d: deleted %v, want %v (%v)", i, gone, i < 3, err)
		}
	}
	if pending, _ := s.PendingNotifications(ctx, 0, 10); len(pending) != 1 || pending[0].ID != ids[4] {
		t.Errorf("pending after pruning = %+v; want the unfinished one", pending)
	}
}

// contact stores everything Frontdesk keeps about a chat: a notification,
// a profile, a first contact, a dead letter that names it.
func contact(t *testing.T, s bot.Store, chat string, at time.Time, step bot.Step) {
	t.Helper()
	ctx := context.Background()
	n := notification(chat, "M-"+chat)
	n.ReceivedAt = at
	if _, err := s.AddNotification(ctx, n); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimFirstContact(ctx, inst, chat, "M-"+chat, at, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProfile(ctx, bot.Profile{Instance: inst, ChatID: chat, Info: greenapi.ContactInfo{Name: "Ana " + chat, Email: "ana@example.com"}, FetchedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFirstContact(ctx, bot.FirstContact{Instance: inst, ChatID: chat, IDMessage: "M-" + chat, Step: step, CreatedAt: at, UpdatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddDeadLetter(ctx, inst, []byte(`{"senderData":{"chatId":"`+chat+`"},"broken":`), "unexpected end of JSON", at); err != nil {
		t.Fatal(err)
	}
	if err := s.AddEvent(ctx, bot.OutboxEvent{ID: "fc-" + chat, Instance: inst, ChatID: chat, Body: []byte(`{}`), CreatedAt: at}); err != nil {
		t.Fatal(err)
	}
	if step == bot.StepDone { // its event delivered
		events, err := s.DueEvents(ctx, at.Add(time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range events {
			if e.ID == "fc-"+chat {
				if err := s.SettleEvent(ctx, e.Seq, bot.EventSettlement{At: at, Attempts: 1, Delivered: true}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

func testForget(t *testing.T, s bot.Store) {
	ctx := context.Background()
	contact(t, s, "79001234567@c.us", t0, bot.StepDone)
	contact(t, s, "79001234568@c.us", t0, bot.StepDone) // a neighbour, whose id shares all but a digit
	got, err := s.Forget(ctx, "79001234567@c.us")
	if err != nil {
		t.Fatal(err)
	}
	if want := (bot.Forgotten{Profiles: 1, Chats: 1, FirstContacts: 1, Notifications: 1, DeadLetters: 1, Events: 1}); got != want {
		t.Errorf("Forget = %+v, want %+v", got, want)
	}
	if _, err := s.GetProfile(ctx, inst, "79001234567@c.us"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the profile is still there: %v", err)
	}
	if _, err := s.GetFirstContact(ctx, inst, "79001234567@c.us", "M-79001234567@c.us"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the first contact is still there: %v", err)
	}
	// Forgotten, the sender is new again: the next message is a first contact.
	if st, err := s.ClaimFirstContact(ctx, inst, "79001234567@c.us", "N", t0.Add(time.Hour), 0); err != nil || !st.Claimed {
		t.Errorf("a forgotten sender writing again: claimed %v, %v", st.Claimed, err)
	}
	// The neighbour is untouched.
	if _, err := s.GetProfile(ctx, inst, "79001234568@c.us"); err != nil {
		t.Errorf("the neighbour's profile: %v", err)
	}
	if again, err := s.Forget(ctx, "79001234568@c.us"); err != nil || again.DeadLetters != 1 || again.Notifications != 1 {
		t.Errorf("forgetting the neighbour = %+v, %v", again, err)
	}
	if none, err := s.Forget(ctx, "10000000000@c.us"); err != nil || none != (bot.Forgotten{}) {
		t.Errorf("forgetting an unknown chat = %+v, %v", none, err)
	}
}

// testLIDNotifications: the notifications of @lid chats whose body holds
// a text, with their bodies, oldest first; no other chat's.
func testLIDNotifications(t *testing.T, s bot.Store) {
	ctx := context.Background()
	for _, n := range []queue.Notification{
		{Instance: inst, ChatID: "120650379300963@lid", IDMessage: "A", Body: []byte(`{"senderData":{"senderPhoneNumber":491512345678}}`)},
		{Instance: other, ChatID: "200000000000001@lid", IDMessage: "B", Body: []byte(`{"text":"call +491512345678"}`)},
		{Instance: inst, ChatID: "491512345678@c.us", IDMessage: "C", Body: []byte(`{"senderData":{"chatId":"491512345678@c.us"}}`)},
		{Instance: inst, ChatID: "200000000000002@lid", IDMessage: "D", Body: []byte(`{"senderData":{"senderPhoneNumber":491512345679}}`)},
	} {
		n.TypeWebhook, n.ReceivedAt = greenapi.TypeIncomingMessageReceived, t0
		if _, err := s.AddNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.LIDNotifications(ctx, "491512345678")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, n := range got {
		ids = append(ids, n.Instance+" "+n.ChatID+" "+n.IDMessage+" "+string(n.Body))
	}
	want := []string{
		inst + ` 120650379300963@lid A {"senderData":{"senderPhoneNumber":491512345678}}`,
		other + ` 200000000000001@lid B {"text":"call +491512345678"}`,
	}
	if strings.Join(ids, "\n") != strings.Join(want, "\n") {
		t.Errorf("LIDNotifications = %q, want %q", ids, want)
	}
	if none, err := s.LIDNotifications(ctx, "79001234567"); err != nil || len(none) != 0 {
		t.Errorf("LIDNotifications of an unknown number = %v, %v", none, err)
	}
}

func testPruneContacts(t *testing.T, s bot.Store) {
	ctx := context.Background()
	old, recent := t0, t0.Add(60*24*time.Hour)
	contact(t, s, "1@c.us", old, bot.StepDone)    // old and finished: goes
	contact(t, s, "2@c.us", old, bot.StepReplied) // old but unfinished: its first contact stays
	contact(t, s, "3@c.us", recent, bot.StepDone) // recent: stays
	cut := t0.Add(30 * 24 * time.Hour)
	n, err := s.PruneContacts(ctx, cut)
	if err != nil {
		t.Fatal(err)
	}
	// Profiles of 1 and 2, the first contact of 1, the dead letters of 1
	// and 2, the delivered event of 1 (2's waits: it is not delivered).
	if n != 6 {
		t.Errorf("PruneContacts deleted %d rows, want 6", n)
	}
	if _, err := s.GetProfile(ctx, inst, "1@c.us"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("an old profile is kept: %v", err)
	}
	if _, err := s.GetFirstContact(ctx, inst, "2@c.us", "M-2@c.us"); err != nil {
		t.Errorf("an unfinished first contact was pruned: %v", err)
	}
	if _, err := s.GetProfile(ctx, inst, "3@c.us"); err != nil {
		t.Errorf("a recent profile was pruned: %v", err)
	}
	chats, err := s.PruneChats(ctx, cut)
	if err != nil || chats != 1 {
		t.Errorf("PruneChats = %d, %v; want 1: chat 1 (chat 2 has an unfinished first contact)", chats, err)
	}
	if st, err := s.ClaimFirstContact(ctx, inst, "1@c.us", "N", recent, 0); err != nil || !st.Claimed {
		t.Errorf("a pruned chat writing again: claimed %v, %v; want a new first contact", st.Claimed, err)
	}
}

func testOutbox(t *testing.T, s bot.Store) {
	ctx := context.Background()
	add := func(id, chat string) {
		t.Helper()
		if err := s.AddEvent(ctx, bot.OutboxEvent{ID: id, ChatID: chat, Body: []byte(`{"id":"` + id + `"}`), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	add("a1", "a@c.us")
	add("a2", "a@c.us")
	add("b1", "b@c.us")
	add("a1", "a@c.us") // written again after a crash: kept once
	add("q1", "")       // an event of no chat
	add("a3", "a@c.us")
	due := func(at time.Time) string {
		t.Helper()
		events, err := s.DueEvents(ctx, at, 10)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, e := range events {
			ids = append(ids, e.ID)
		}
		return strings.Join(ids, " ")
	}
	seq := func(id string) int64 {
		t.Helper()
		events, _ := s.DueEvents(ctx, t0.Add(24*time.Hour), 10)
		for _, e := range events {
			if e.ID == id {
				return e.Seq
			}
		}
		t.Fatalf("%s is not due", id)
		return 0
	}
	if got := due(t0); got != "a1 b1 q1" {
		t.Errorf("due = %q; want the oldest of each chat: a1 b1 q1", got)
	}
	// a1 fails: a's later events wait behind it, the others go on.
	if err := s.SettleEvent(ctx, seq("a1"), bot.EventSettlement{At: t0, Attempts: 1, NextAt: t0.Add(time.Minute), Err: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(time.Second)); got != "b1 q1" {
		t.Errorf("due while a1 waits for its retry = %q; want b1 q1", got)
	}
	if got := due(t0.Add(2 * time.Minute)); got != "a1 b1 q1" {
		t.Errorf("due once a1's retry is due = %q", got)
	}
	for _, id := range []string{"a1", "b1", "q1"} {
		if err := s.SettleEvent(ctx, seq(id), bot.EventSettlement{At: t0, Attempts: 2, Delivered: true}); err != nil {
			t.Fatal(err)
		}
	}
	if got := due(t0.Add(2 * time.Minute)); got != "a2" {
		t.Errorf("due after a1 = %q; want a2", got)
	}
	// a2 is given up: it no longer holds a3 back.
	if err := s.SettleEvent(ctx, seq("a2"), bot.EventSettlement{At: t0, Attempts: 20, Dead: true, Err: "HTTP 500"}); err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(2 * time.Minute)); got != "a3" {
		t.Errorf("due after a2 died = %q; want a3", got)
	}
	if waiting, dead, err := s.CountEvents(ctx); err != nil || waiting != 1 || dead != 1 {
		t.Errorf("CountEvents = %d waiting, %d dead, %v; want 1 and 1", waiting, dead, err)
	}
}

// testInstances: the same customer writing to two numbers is two chats,
// each with its own dedupe, claim, profile, first contact and events.
func testInstances(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const chat = "5511987654321@c.us"
	for _, in := range []string{inst, other} {
		n := notification(chat, "A")
		n.Instance = in
		if id, err := s.AddNotification(ctx, n); err != nil || id == 0 {
			t.Errorf("AddNotification(%s) = %d, %v; want stored: a message id is unique only within one number's chat", in, id, err)
		}
		if st, err := s.ClaimFirstContact(ctx, in, chat, "A", t0, 0); err != nil || !st.Claimed {
			t.Errorf("ClaimFirstContact(%s) = %v, %v; want a first contact with each number", in, st, err)
		}
	}
	pending, err := s.PendingNotifications(ctx, 0, 10)
	if err != nil || len(pending) != 2 || pending[0].Instance != inst || pending[1].Instance != other {
		t.Errorf("PendingNotifications = %+v, %v; want one of each instance, with its instance", pending, err)
	}
	if got, err := s.GetNotification(ctx, pending[1].ID); err != nil || got.Instance != other {
		t.Errorf("GetNotification = %+v, %v; want instance %s", got, err, other)
	}
	if n, err := s.PendingOf(ctx, other); err != nil || n != 1 {
		t.Errorf("PendingOf(other) = %d, %v; want 1", n, err)
	}
	if err := s.SaveProfile(ctx, bot.Profile{Instance: inst, ChatID: chat, Info: greenapi.ContactInfo{Name: "Ana"}, FetchedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetProfile(ctx, other, chat); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the other number sees the first one's profile: %v", err)
	}
	fc := bot.FirstContact{Instance: other, ChatID: chat, IDMessage: "A", Step: bot.StepDone, Locale: "pt", CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveFirstContact(ctx, fc); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetFirstContact(ctx, inst, chat, "A"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("the first number sees the other's first contact: %v", err)
	}
	if got, err := s.GetFirstContact(ctx, other, chat, "A"); err != nil || got.Instance != other || got.Locale != "pt" {
		t.Errorf("GetFirstContact(other) = %+v, %v", got, err)
	}
	// Events of one chat with two numbers are two lines: neither waits for the other.
	for _, in := range []string{inst, other} {
		if err := s.AddEvent(ctx, bot.OutboxEvent{ID: "e-" + in, Instance: in, ChatID: chat, Body: []byte(`{}`), CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if due, err := s.DueEvents(ctx, t0, 10); err != nil || len(due) != 2 || due[1].Instance != other {
		t.Errorf("DueEvents = %+v, %v; want both numbers' events due, with their instances", due, err)
	}
	// Forgetting a person forgets them with every number.
	if f, err := s.Forget(ctx, chat); err != nil || f.Notifications != 2 || f.Chats != 2 || f.FirstContacts != 1 || f.Events != 2 {
		t.Errorf("Forget = %+v, %v; want both numbers' rows", f, err)
	}
}

// testAdopt: the rows a single-instance Frontdesk kept (instance "") are
// its instance's once adopted; a row the instance has already keeps the
// instance's.
func testAdopt(t *testing.T, s bot.Store) {
	ctx := context.Background()
	old := notification("1@c.us", "A")
	old.Instance = ""
	if _, err := s.AddNotification(ctx, old); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimFirstContact(ctx, "", "1@c.us", "A", t0, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProfile(ctx, bot.Profile{ChatID: "1@c.us", Info: greenapi.ContactInfo{Name: "Old"}, FetchedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProfile(ctx, bot.Profile{ChatID: "2@c.us", Info: greenapi.ContactInfo{Name: "Stale"}, FetchedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveProfile(ctx, bot.Profile{Instance: inst, ChatID: "2@c.us", Info: greenapi.ContactInfo{Name: "Fresh"}, FetchedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFirstContact(ctx, bot.FirstContact{ChatID: "1@c.us", IDMessage: "A", Step: bot.StepDone, CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	n, err := s.AdoptUnassigned(ctx, inst)
	if err != nil || n < 4 {
		t.Fatalf("AdoptUnassigned = %d, %v; want the notification, the chat, a profile and the first contact", n, err)
	}
	if id, err := s.AddNotification(ctx, notification("1@c.us", "A")); err != nil || id != 0 {
		t.Errorf("the adopted notification sent again = %d, %v; want a duplicate", id, err)
	}
	if st, err := s.ClaimFirstContact(ctx, inst, "1@c.us", "B", t0.Add(time.Minute), 0); err != nil || st.Claimed {
		t.Errorf("the adopted chat writing again: claimed %v, %v; want a known chat", st.Claimed, err)
	}
	if p, err := s.GetProfile(ctx, inst, "1@c.us"); err != nil || p.Info.Name != "Old" {
		t.Errorf("adopted profile = %+v, %v", p, err)
	}
	if p, err := s.GetProfile(ctx, inst, "2@c.us"); err != nil || p.Info.Name != "Fresh" {
		t.Errorf("profile held by both = %+v, %v; want the instance's own", p, err)
	}
	if _, err := s.GetFirstContact(ctx, inst, "1@c.us", "A"); err != nil {
		t.Errorf("adopted first contact: %v", err)
	}
	if again, err := s.AdoptUnassigned(ctx, inst); err != nil || again != 0 {
		t.Errorf("AdoptUnassigned again = %d, %v; want 0", again, err)
	}
}

// testRecent: the status page's lists, the latest first.
func testRecent(t *testing.T, s bot.Store) {
	ctx := context.Background()
	r, ok := s.(bot.Recent)
	if !ok {
		t.Fatal("the store does not implement bot.Recent")
	}
	for i, chat := range []string{"1@c.us", "2@c.us", "3@c.us"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		if err := s.SaveFirstContact(ctx, bot.FirstContact{Instance: inst, ChatID: chat, IDMessage: "M", Step: bot.StepDone, Rule: "r" + chat[:1], Locale: "pt", CreatedAt: at, UpdatedAt: at}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddDeadLetter(ctx, inst, []byte("x"), "reason "+chat[:1], at); err != nil {
			t.Fatal(err)
		}
	}
	fcs, err := r.RecentFirstContacts(ctx, 2)
	if err != nil || len(fcs) != 2 || fcs[0].ChatID != "3@c.us" || fcs[1].ChatID != "2@c.us" || fcs[0].Rule != "r3" || fcs[0].Instance != inst {
		t.Errorf("RecentFirstContacts = %+v, %v; want 3 then 2", fcs, err)
	}
	total, dls, err := r.RecentDeadLetters(ctx, 2)
	if err != nil || total != 3 || len(dls) != 2 || dls[0].Reason != "reason 3" || dls[0].Instance != inst || !dls[0].ReceivedAt.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("RecentDeadLetters = %d, %+v, %v; want 3 in all, reason 3 first", total, dls, err)
	}
}

// testChatState: a person's takeover and an opt-out are kept per chat and
// come back with the claim; an automatic message's record is kept by the
// message that caused it, and forgotten with the chat.
func testChatState(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const chat = "12125550101@c.us"
	if st, err := s.GetChat(ctx, inst, chat); err != nil || st != (bot.ChatState{}) {
		t.Errorf("GetChat of an unknown chat = %+v, %v; want the zero state", st, err)
	}
	until := t0.Add(24 * time.Hour)
	if err := s.MarkKnown(ctx, inst, chat, t0, until); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkKnown(ctx, inst, chat, t0.Add(time.Minute), time.Time{}); err != nil { // Frontdesk's own message
		t.Fatal(err)
	}
	st, err := s.ClaimFirstContact(ctx, inst, chat, "M", t0.Add(time.Hour), 0)
	if err != nil || st.Claimed || !st.HumanUntil.Equal(until) || !st.OptedOut.IsZero() {
		t.Errorf("ClaimFirstContact = %+v, %v; want known, a person until %v", st, err, until)
	}
	if err := s.SetOptedOut(ctx, inst, chat, true, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if st, err := s.GetChat(ctx, inst, chat); err != nil || !st.OptedOut.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("after the opt-out: %+v, %v", st, err)
	}
	if st, _ := s.GetChat(ctx, other, chat); !st.OptedOut.IsZero() {
		t.Error("the opt-out reached the same person's chat with another number")
	}
	if err := s.SetOptedOut(ctx, inst, chat, false, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.GetChat(ctx, inst, chat); !st.OptedOut.IsZero() {
		t.Error("opted back in, the chat is still opted out")
	}
	if _, err := s.GetChatMessage(ctx, inst, chat, "M", "opt_out_confirmation"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("a missing record: %v", err)
	}
	m := bot.ChatMessage{Instance: inst, ChatID: chat, IDMessage: "M", Kind: "opt_out_confirmation", Out: bot.Outgoing{To: chat, Text: "bye"}, CreatedAt: t0}
	if err := s.SaveChatMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Out.Attempted, m.Out.ID = true, "BAE5"
	if err := s.SaveChatMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetChatMessage(ctx, inst, chat, "M", "opt_out_confirmation")
	if err != nil || !reflect.DeepEqual(got.Out, m.Out) || !got.CreatedAt.Equal(t0) {
		t.Errorf("GetChatMessage = %+v, %v; want %+v", got, err, m)
	}
	if f, err := s.Forget(ctx, chat); err != nil || f.ChatMessages != 1 {
		t.Errorf("Forget = %+v, %v; want the record forgotten", f, err)
	}
}

// testMenuMessage: a menu recorded as a poll keeps its style, options and
// fallback; when Green API refuses it, the same record becomes the
// numbered text (text and style updated, options gone).
func testMenuMessage(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const chat = "49151@c.us"
	m := bot.ChatMessage{Instance: inst, ChatID: chat, IDMessage: "M", Kind: "choice_menu", CreatedAt: t0,
		Out: bot.Outgoing{To: chat, Text: "What can we help you with?", Style: bot.MenuPoll, Options: []string{"Sales", "Support"}, Fallback: "1 Sales\n2 Support"}}
	if err := s.SaveChatMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	m.Out.Attempted, m.Out.ID = true, "BAE5"
	if err := s.SaveChatMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetChatMessage(ctx, inst, chat, "M", "choice_menu")
	if err != nil || !reflect.DeepEqual(got.Out, m.Out) {
		t.Fatalf("GetChatMessage = %+v, %v; want %+v", got.Out, err, m.Out)
	}
	m.Out = bot.Outgoing{To: chat, Text: m.Out.Fallback}
	if err := s.SaveChatMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, err = s.GetChatMessage(ctx, inst, chat, "M", "choice_menu")
	if err != nil || !reflect.DeepEqual(got.Out, m.Out) {
		t.Errorf("after the fallback, GetChatMessage = %+v, %v; want %+v", got.Out, err, m.Out)
	}
}

// testDueChoices: the menus whose wait ended are listed, oldest end first,
// until the notification that ends the wait is stored, or the menu is
// chosen; waiting menus and finished contacts are not.
func testDueChoices(t *testing.T, s bot.Store) {
	ctx := context.Background()
	save := func(chat, id string, step bot.Step, until time.Time) {
		t.Helper()
		fc := bot.FirstContact{Instance: inst, ChatID: chat, IDMessage: id, Step: step, ChoiceUntil: until, CreatedAt: t0, UpdatedAt: t0}
		if err := s.SaveFirstContact(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	now := t0.Add(time.Hour)
	save("1@c.us", "A", bot.StepChoosing, now.Add(-time.Minute))
	save("2@c.us", "B", bot.StepChoosing, now.Add(-2*time.Minute)) // ended first
	save("3@c.us", "C", bot.StepChoosing, now.Add(time.Minute))    // still waits
	save("4@c.us", "D", bot.StepDone, now.Add(-time.Hour))         // chosen and done
	save("5@c.us", "E", bot.StepDecided, time.Time{})              // no menu yet
	due := func() []string {
		t.Helper()
		list, err := s.DueChoices(ctx, now, []string{inst}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, fc := range list {
			if fc.Step != bot.StepChoosing || fc.Instance != inst {
				t.Errorf("listed %+v", fc)
			}
			out = append(out, fc.ChatID+"/"+fc.IDMessage)
		}
		return out
	}
	if got, want := fmt.Sprint(due()), "[2@c.us/B 1@c.us/A]"; got != want {
		t.Fatalf("DueChoices = %s, want %s", got, want)
	}
	if list, err := s.DueChoices(ctx, now, []string{inst}, 1); err != nil || len(list) != 1 || list[0].ChatID != "2@c.us" {
		t.Errorf("DueChoices(limit 1) = %+v, %v", list, err)
	}
	// The wait's end of B is stored: B is no longer listed.
	if _, err := s.AddNotification(ctx, queue.Notification{Instance: inst, ChatID: "2@c.us", IDMessage: bot.ChoiceWaitPrefix + "B",
		TypeWebhook: bot.TypeChoiceWaitEnded, Body: []byte(`{}`), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	// Another chat's notification of the same idMessage does not count.
	if _, err := s.AddNotification(ctx, queue.Notification{Instance: inst, ChatID: "9@c.us", IDMessage: bot.ChoiceWaitPrefix + "A",
		TypeWebhook: bot.TypeChoiceWaitEnded, Body: []byte(`{}`), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(due()), "[1@c.us/A]"; got != want {
		t.Errorf("after B's wait ended: DueChoices = %s, want %s", got, want)
	}
	save("1@c.us", "A", bot.StepChosen, now.Add(-time.Minute))
	if got := due(); len(got) != 0 {
		t.Errorf("after A was chosen: DueChoices = %v, want none", got)
	}
}

// testDueChoicesOfServedNumbers is issue #24's item 2: 100 ended waits of a
// number no longer served, older than every other, once hid the served
// number's waits from a sweep that read the 100 oldest; only the served
// numbers' waits are listed, and a removed number's are ended after the
// grace period, not before.
func testDueChoicesOfServedNumbers(t *testing.T, s bot.Store) {
	ctx := context.Background()
	now := t0.Add(48 * time.Hour)
	save := func(instance, chat string, until time.Time) {
		t.Helper()
		fc := bot.FirstContact{Instance: instance, ChatID: chat, IDMessage: "M", Step: bot.StepChoosing, ChoiceUntil: until, CreatedAt: t0, UpdatedAt: t0}
		if err := s.SaveFirstContact(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	const removed = "1109999999"
	for i := range 100 {
		save(removed, fmt.Sprintf("%d@c.us", i), now.Add(-30*time.Hour))
	}
	save(removed, "recent@c.us", now.Add(-time.Hour)) // within the grace period
	save(inst, "served@c.us", now.Add(-time.Minute))
	list, err := s.DueChoices(ctx, now, []string{inst}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ChatID != "served@c.us" {
		t.Fatalf("DueChoices of the served number listed %d, the first %+v; want only served@c.us", len(list), list)
	}
	ended, err := s.EndOrphanChoices(ctx, now.Add(-24*time.Hour), []string{inst}, now)
	if err != nil || ended != 100 {
		t.Fatalf("EndOrphanChoices = %d, %v; want the 100 waits past the grace period", ended, err)
	}
	fc, err := s.GetFirstContact(ctx, removed, "7@c.us", "M")
	if err != nil || fc.Step != bot.StepGaveUp || fc.Skipped != bot.SkippedRemoved {
		t.Errorf("an ended orphan: %+v, %v", fc, err)
	}
	if fc, err := s.GetFirstContact(ctx, removed, "recent@c.us", "M"); err != nil || fc.Step != bot.StepChoosing {
		t.Errorf("a wait within the grace period: %+v, %v; want it still waiting", fc, err)
	}
	if fc, err := s.GetFirstContact(ctx, inst, "served@c.us", "M"); err != nil || fc.Step != bot.StepChoosing {
		t.Errorf("the served number's wait: %+v, %v; want it untouched", fc, err)
	}
}

// testMenuWaits: the chat says whether its first contact's menu waits,
// in the claim's own answer; a mark for a first contact that is no longer
// the chat's current one changes nothing.
func testMenuWaits(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const chat = "12125550102@c.us"
	if st, err := s.ClaimFirstContact(ctx, inst, chat, "A", t0, time.Hour); err != nil || !st.Claimed || st.MenuWaits {
		t.Fatalf("the first message: %+v, %v", st, err)
	}
	if err := s.SetMenuWaits(ctx, inst, chat, "A", true); err != nil {
		t.Fatal(err)
	}
	if st, err := s.ClaimFirstContact(ctx, inst, chat, "B", t0.Add(time.Minute), time.Hour); err != nil || st.Claimed || !st.MenuWaits || st.FirstContactMsg != "A" {
		t.Errorf("a reply while the menu waits: %+v, %v; want MenuWaits of A", st, err)
	}
	if st, _ := s.GetChat(ctx, other, chat); st.MenuWaits {
		t.Error("the menu reached the same person's chat with another number")
	}
	// After a long silence a new first contact: its claim says no menu
	// waits, and the old one's end does not touch the chat.
	if st, err := s.ClaimFirstContact(ctx, inst, chat, "C", t0.Add(3*time.Hour), time.Hour); err != nil || !st.Claimed || st.MenuWaits {
		t.Errorf("a new first contact: %+v, %v; want claimed, no menu", st, err)
	}
	if err := s.SetMenuWaits(ctx, inst, chat, "C", true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMenuWaits(ctx, inst, chat, "A", false); err != nil {
		t.Fatal(err)
	}
	if st, err := s.GetChat(ctx, inst, chat); err != nil || !st.MenuWaits || st.FirstContactMsg != "C" {
		t.Errorf("after the old menu's end: %+v, %v; want C's menu still waiting", st, err)
	}
	if err := s.SetMenuWaits(ctx, inst, chat, "C", false); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.GetChat(ctx, inst, chat); st.MenuWaits {
		t.Error("the menu still waits after its end")
	}
}

// testReleaseFirstContact: a first contact that reached no one is released,
// and the chat's next message claims one again, with NEW_SENDER_AFTER 0
// too; a chat a person has, one whose sender opted out, or whose first
// contact is another message's, is kept.
func testReleaseFirstContact(t *testing.T, s bot.Store) {
	ctx := context.Background()
	claim := func(chat, id string, at time.Time) bot.ChatState {
		t.Helper()
		st, err := s.ClaimFirstContact(ctx, inst, chat, id, at, 0)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if !claim("1@c.us", "A", t0).Claimed {
		t.Fatal("a new chat's first message claims nothing")
	}
	if claim("1@c.us", "B", t0.Add(time.Minute)).Claimed {
		t.Fatal("a known chat's message claims a first contact")
	}
	if err := s.ReleaseFirstContact(ctx, inst, "1@c.us", "B"); err != nil { // not its first contact
		t.Fatal(err)
	}
	if claim("1@c.us", "C", t0.Add(2*time.Minute)).Claimed {
		t.Error("released by another message than the one that claimed")
	}
	if err := s.ReleaseFirstContact(ctx, inst, "1@c.us", "A"); err != nil {
		t.Fatal(err)
	}
	if !claim("1@c.us", "D", t0.Add(3*time.Minute)).Claimed {
		t.Error("after the release the next message claims nothing")
	}

	claim("2@c.us", "A", t0)
	if err := s.MarkKnown(ctx, inst, "2@c.us", t0.Add(time.Minute), t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	claim("3@c.us", "A", t0)
	if err := s.SetOptedOut(ctx, inst, "3@c.us", true, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, chat := range []string{"2@c.us", "3@c.us"} {
		if err := s.ReleaseFirstContact(ctx, inst, chat, "A"); err != nil {
			t.Fatal(err)
		}
		if claim(chat, "B", t0.Add(2*time.Minute)).Claimed {
			t.Errorf("%s (a person has it, or its sender opted out) was released", chat)
		}
	}
}

// testMarkAnswered: the first message of a person of the business after a
// first contact began answers it, once; Frontdesk's own messages in the
// chat (its greeting, its automatic messages) never do; a first contact
// that is not the chat's current one is not answered.
func testMarkAnswered(t *testing.T, s bot.Store) {
	ctx := context.Background()
	if _, err := s.ClaimFirstContact(ctx, inst, "1@c.us", "A", t0, time.Hour); err != nil {
		t.Fatal(err)
	}
	fc := bot.FirstContact{Instance: inst, ChatID: "1@c.us", IDMessage: "A", Step: bot.StepDone, Rule: "business", Choice: "sales",
		Reply: bot.Outgoing{Text: "Hi", Attempted: true, ID: "GREETING"}, CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveFirstContact(ctx, fc); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveChatMessage(ctx, bot.ChatMessage{Instance: inst, ChatID: "1@c.us", IDMessage: "B", Kind: "away",
		Out: bot.Outgoing{Text: "We are closed", Attempted: true, ID: "AWAY"}, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	for _, own := range []string{"GREETING", "AWAY"} {
		if _, first, err := s.MarkAnswered(ctx, inst, "1@c.us", own, t0.Add(time.Minute), "api"); err != nil || first {
			t.Errorf("Frontdesk's own %s answered the first contact: %v, %v", own, first, err)
		}
	}
	got, first, err := s.MarkAnswered(ctx, inst, "1@c.us", "PERSON1", t0.Add(5*time.Minute), "phone")
	if err != nil || !first || got.IDMessage != "A" || got.Rule != "business" || got.Choice != "sales" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("a person's first answer: %+v, %v, %v", got, first, err)
	}
	if _, first, err := s.MarkAnswered(ctx, inst, "1@c.us", "PERSON2", t0.Add(6*time.Minute), "phone"); err != nil || first {
		t.Errorf("a second answer counted as the first: %v, %v", first, err)
	}
	if _, first, err := s.MarkAnswered(ctx, inst, "9@c.us", "PERSON3", t0.Add(6*time.Minute), "phone"); err != nil || first {
		t.Errorf("a chat without a first contact answered: %v, %v", first, err)
	}
	// An answer written before the first contact began does not count.
	if _, err := s.ClaimFirstContact(ctx, inst, "2@c.us", "C", t0.Add(time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFirstContact(ctx, bot.FirstContact{Instance: inst, ChatID: "2@c.us", IDMessage: "C", Step: bot.StepDone,
		MessageAt: t0.Add(time.Hour), CreatedAt: t0.Add(time.Hour), UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, first, err := s.MarkAnswered(ctx, inst, "2@c.us", "OLD", t0.Add(50*time.Minute), "phone"); err != nil || first {
		t.Errorf("a message from before the first contact answered it: %v, %v", first, err)
	}
	// The customer's message was handled two minutes late (a backlog): a
	// person's answer 30 s after it, by WhatsApp's times, answers it.
	if _, err := s.ClaimFirstContact(ctx, inst, "3@c.us", "D", t0.Add(2*time.Minute), time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFirstContact(ctx, bot.FirstContact{Instance: inst, ChatID: "3@c.us", IDMessage: "D", Step: bot.StepDone,
		MessageAt: t0, CreatedAt: t0.Add(2 * time.Minute), UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	got, first, err = s.MarkAnswered(ctx, inst, "3@c.us", "QUICK", t0.Add(30*time.Second), "phone")
	if err != nil || !first || !got.MessageAt.Equal(t0) {
		t.Errorf("an answer before a late first contact was handled: %+v, %v, %v", got, first, err)
	}
	// The same answer handled again (a retry) settles it again; another
	// does not.
	if _, first, err := s.MarkAnswered(ctx, inst, "3@c.us", "QUICK", t0.Add(30*time.Second), "phone"); err != nil || !first {
		t.Errorf("the same answer again: %v, %v; want it settled again", first, err)
	}
	if _, first, err := s.MarkAnswered(ctx, inst, "3@c.us", "LATER", t0.Add(time.Hour), "phone"); err != nil || first {
		t.Errorf("another answer: %v, %v; want none", first, err)
	}
}

// testDueReminders: the reminders and escalations due by now, of the
// served numbers, routed, unanswered, unsent and not stored as a
// notification yet, are listed, the earliest first; they survive a save.
func testDueReminders(t *testing.T, s bot.Store) {
	ctx := context.Background()
	now := t0.Add(time.Hour)
	save := func(chat string, remindAt time.Time, to, sentID string) {
		t.Helper()
		if _, err := s.ClaimFirstContact(ctx, inst, chat, "M", t0, time.Hour); err != nil { // the chat's current first contact
			t.Fatal(err)
		}
		fc := bot.FirstContact{Instance: inst, ChatID: chat, IDMessage: "M", Step: bot.StepDone, CreatedAt: t0, UpdatedAt: t0,
			Reminder: bot.Outgoing{Text: "Still waiting", To: to, ID: sentID}, RemindAt: remindAt,
			Escalation: bot.Outgoing{Text: "No one answered", To: to}, EscalateAt: remindAt.Add(time.Hour)}
		if err := s.SaveFirstContact(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	save("1@c.us", now.Add(-time.Minute), "ops@g.us", "")
	save("2@c.us", now.Add(-2*time.Minute), "ops@g.us", "") // due first
	save("3@c.us", now.Add(time.Minute), "ops@g.us", "")    // not yet
	save("4@c.us", now.Add(-time.Minute), "", "")           // no summary went out
	save("5@c.us", now.Add(-time.Minute), "ops@g.us", "SENT")
	save("6@c.us", now.Add(-time.Minute), "ops@g.us", "")
	// 7@c.us's first contact M was followed by a newer one: M is settled
	// by no one and reminds no one.
	save("7@c.us", now.Add(-time.Minute), "ops@g.us", "")
	if _, err := s.ClaimFirstContact(ctx, inst, "7@c.us", "N", t0.Add(3*time.Hour), time.Hour); err != nil {
		t.Fatal(err)
	}
	if _, first, err := s.MarkAnswered(ctx, inst, "6@c.us", "PERSON", t0.Add(time.Minute), "phone"); err != nil || !first {
		t.Fatalf("answering 6@c.us: %v, %v", first, err)
	}
	due := func(kind string) string {
		t.Helper()
		list, err := s.DueReminders(ctx, kind, now, []string{inst}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, fc := range list {
			out = append(out, fc.ChatID)
		}
		return fmt.Sprint(out)
	}
	if got, want := due(bot.KindReminder), "[2@c.us 1@c.us]"; got != want {
		t.Errorf("due reminders %s; want %s", got, want)
	}
	if got := due(bot.KindEscalation); got != "[]" {
		t.Errorf("due escalations %s; want none yet", got)
	}
	if _, err := s.AddNotification(ctx, queue.Notification{Instance: inst, ChatID: "2@c.us", IDMessage: bot.KindReminder + ":M",
		TypeWebhook: bot.TypeReminderDue, Body: []byte(`{}`), ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	if got, want := due(bot.KindReminder), "[1@c.us]"; got != want {
		t.Errorf("after 2@c.us's reminder was stored: %s; want %s", got, want)
	}
	if list, err := s.DueReminders(ctx, bot.KindReminder, now, []string{"1109999999"}, 10); err != nil || len(list) != 0 {
		t.Errorf("another number's reminders listed: %v, %v", list, err)
	}
	fc, err := s.GetFirstContact(ctx, inst, "1@c.us", "M")
	if err != nil || fc.Reminder.Text != "Still waiting" || fc.Reminder.To != "ops@g.us" || !fc.RemindAt.Equal(now.Add(-time.Minute)) ||
		fc.Escalation.Text != "No one answered" || !fc.EscalateAt.Equal(now.Add(59*time.Minute)) {
		t.Errorf("read back %+v, %v", fc, err)
	}
	if fc, err := s.GetFirstContact(ctx, inst, "6@c.us", "M"); err != nil || !fc.AnsweredAt.Equal(t0.Add(time.Minute)) || fc.AnsweredBy != "phone" {
		t.Errorf("the answered contact reads back %v by %q, %v", fc.AnsweredAt, fc.AnsweredBy, err)
	}
}

// testWaitingForAnswer: the routed first contacts no person answered are
// listed, the oldest first; answered ones count in the times to answer
// with the wait recorded for them.
func testWaitingForAnswer(t *testing.T, s bot.Store) {
	ctx := context.Background()
	r, ok := s.(bot.Recent)
	if !ok {
		t.Skip("not a bot.Recent")
	}
	for i, chat := range []string{"1@c.us", "2@c.us", "3@c.us", "4@c.us"} {
		created := t0.Add(time.Duration(i) * time.Minute)
		if _, err := s.ClaimFirstContact(ctx, inst, chat, "M", created, time.Hour); err != nil {
			t.Fatal(err)
		}
		fc := bot.FirstContact{Instance: inst, ChatID: chat, IDMessage: "M", Step: bot.StepDone, Rule: "business", CreatedAt: created, UpdatedAt: created,
			Summary: bot.Outgoing{Text: "New contact", To: "ops@g.us", Attempted: true, ID: "S" + chat}}
		if chat == "4@c.us" {
			fc.Summary = bot.Outgoing{} // not routed
		}
		if err := s.SaveFirstContact(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	if _, first, err := s.MarkAnswered(ctx, inst, "1@c.us", "P", t0.Add(5*time.Minute), "phone"); err != nil || !first {
		t.Fatal(first, err)
	}
	if err := s.SetAnswerWait(ctx, inst, "1@c.us", "M", 5*time.Minute); err != nil {
		t.Fatal(err)
	}
	waiting, err := r.WaitingForAnswer(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var chats []string
	for _, fc := range waiting {
		chats = append(chats, fc.ChatID)
	}
	if got, want := fmt.Sprint(chats), "[2@c.us 3@c.us]"; got != want {
		t.Errorf("waiting %s; want %s", got, want)
	}
	times, err := r.AnswerTimes(ctx, t0)
	if err != nil || len(times) != 1 || times[0].Rule != "business" || times[0].Waited != 5*time.Minute {
		t.Errorf("answer times %+v, %v", times, err)
	}
	if times, err := r.AnswerTimes(ctx, t0.Add(6*time.Minute)); err != nil || len(times) != 0 {
		t.Errorf("answer times since after the answer: %+v, %v", times, err)
	}
}

// testTakeFirstContact: a claim finds its first contact by the summary,
// the reminder or the escalation it quotes; the first claim holds, a
// second is told the first; the claim pushes back a reminder not sent
// yet, never one already sent, and never makes one where there was none;
// a later save of the record keeps the claim and the later time.
func testTakeFirstContact(t *testing.T, s bot.Store) {
	ctx := context.Background()
	remind, escalate := t0.Add(15*time.Minute), t0.Add(40*time.Minute)
	for _, chat := range []string{"1@c.us", "2@c.us", "3@c.us"} {
		fc := bot.FirstContact{Instance: inst, ChatID: chat, IDMessage: "M", Step: bot.StepDone, Rule: "r", CreatedAt: t0, UpdatedAt: t0,
			Summary:  bot.Outgoing{Text: "New contact", To: "ops@g.us", Attempted: true, ID: "S" + chat},
			Reminder: bot.Outgoing{Text: "Still waiting", To: "ops@g.us"}, RemindAt: remind,
			Escalation: bot.Outgoing{Text: "No one answered", To: "boss@g.us"}, EscalateAt: escalate}
		switch chat {
		case "2@c.us": // reminded already
			fc.Reminder.Attempted, fc.Reminder.ID = true, "R2"
		case "3@c.us": // no reminders
			fc.Reminder, fc.RemindAt, fc.Escalation, fc.EscalateAt = bot.Outgoing{}, time.Time{}, bot.Outgoing{}, time.Time{}
		}
		if err := s.SaveFirstContact(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	for sent, want := range map[string]string{"S1@c.us": "1@c.us", "R2": "2@c.us", "S3@c.us": "3@c.us"} {
		if fc, err := s.FirstContactBySent(ctx, inst, sent); err != nil || fc.ChatID != want {
			t.Errorf("FirstContactBySent(%s) = %s, %v; want %s", sent, fc.ChatID, err, want)
		}
	}
	for _, sent := range []string{"NOPE", ""} {
		if _, err := s.FirstContactBySent(ctx, inst, sent); !errors.Is(err, bot.ErrNotFound) {
			t.Errorf("FirstContactBySent(%q): %v; want ErrNotFound", sent, err)
		}
	}
	if _, err := s.FirstContactBySent(ctx, other, "S1@c.us"); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("another number's summary found: %v", err)
	}
	anna := bot.Claim{By: "Anna", Phone: "+55 11 90000-0001", Msg: "C1", At: t0.Add(10 * time.Minute)}
	later, laterEsc := t0.Add(25*time.Minute), t0.Add(50*time.Minute)
	fc, err := s.TakeFirstContact(ctx, inst, "1@c.us", "M", anna, later, laterEsc)
	if err != nil || !sameClaim(fc.Claim, anna) || !fc.RemindAt.Equal(later) || !fc.EscalateAt.Equal(laterEsc) {
		t.Fatalf("the first claim: %+v at %v/%v, %v; want Anna's, the reminder at %v", fc.Claim, fc.RemindAt, fc.EscalateAt, err, later)
	}
	if fc, err := s.TakeFirstContact(ctx, inst, "1@c.us", "M", anna, later, laterEsc); err != nil || !sameClaim(fc.Claim, anna) {
		t.Errorf("the same claim again: %+v, %v", fc.Claim, err)
	}
	bruno := bot.Claim{By: "Bruno", Msg: "C2", At: t0.Add(11 * time.Minute)}
	if fc, err := s.TakeFirstContact(ctx, inst, "1@c.us", "M", bruno, t0.Add(time.Hour), t0.Add(2*time.Hour)); err != nil || !sameClaim(fc.Claim, anna) || !fc.RemindAt.Equal(later) {
		t.Errorf("a second claim: %+v, reminder at %v, %v; want Anna's claim and time kept", fc.Claim, fc.RemindAt, err)
	}
	// The bot saves the record it read before the claim: the claim and the
	// later time stay.
	stale := bot.FirstContact{Instance: inst, ChatID: "1@c.us", IDMessage: "M", Step: bot.StepDone, Rule: "r", CreatedAt: t0, UpdatedAt: t0,
		Summary:  bot.Outgoing{Text: "New contact", To: "ops@g.us", Attempted: true, ID: "S1@c.us"},
		Reminder: bot.Outgoing{Text: "Still waiting", To: "ops@g.us"}, RemindAt: remind,
		Escalation: bot.Outgoing{Text: "No one answered", To: "boss@g.us"}, EscalateAt: escalate}
	if err := s.SaveFirstContact(ctx, stale); err != nil {
		t.Fatal(err)
	}
	if fc, err := s.GetFirstContact(ctx, inst, "1@c.us", "M"); err != nil || !sameClaim(fc.Claim, anna) || !fc.RemindAt.Equal(later) || !fc.EscalateAt.Equal(laterEsc) {
		t.Errorf("after a stale save: %+v, reminder at %v, %v", fc.Claim, fc.RemindAt, err)
	}
	if fc, err := s.TakeFirstContact(ctx, inst, "2@c.us", "M", bruno, t0.Add(time.Hour), t0.Add(2*time.Hour)); err != nil || !sameClaim(fc.Claim, bruno) ||
		!fc.RemindAt.Equal(remind) || !fc.EscalateAt.Equal(t0.Add(2*time.Hour)) {
		t.Errorf("claimed after its reminder went: reminder at %v, escalation at %v, %v; want the sent reminder's time kept, the escalation later",
			fc.RemindAt, fc.EscalateAt, err)
	}
	if fc, err := s.TakeFirstContact(ctx, inst, "3@c.us", "M", bruno, t0.Add(time.Hour), t0.Add(2*time.Hour)); err != nil || !fc.RemindAt.IsZero() || !fc.EscalateAt.IsZero() {
		t.Errorf("a claim made reminders where there were none: %v, %v, %v", fc.RemindAt, fc.EscalateAt, err)
	}
	if _, err := s.TakeFirstContact(ctx, inst, "9@c.us", "M", bruno, time.Time{}, time.Time{}); !errors.Is(err, bot.ErrNotFound) {
		t.Errorf("claiming no first contact: %v; want ErrNotFound", err)
	}
	// A summary sent whose id is not recorded yet is being settled.
	if unsettled, err := s.SummaryUnsettled(ctx, inst, "ops@g.us"); err != nil || unsettled {
		t.Errorf("every summary's id recorded: unsettled %v, %v", unsettled, err)
	}
	if err := s.SaveFirstContact(ctx, bot.FirstContact{Instance: inst, ChatID: "5@c.us", IDMessage: "M", Step: bot.StepReplied, CreatedAt: t0, UpdatedAt: t0,
		Summary: bot.Outgoing{Text: "New contact", To: "ops@g.us", Attempted: true}}); err != nil {
		t.Fatal(err)
	}
	for chat, want := range map[string]bool{"ops@g.us": true, "boss@g.us": false} {
		if unsettled, err := s.SummaryUnsettled(ctx, inst, chat); err != nil || unsettled != want {
			t.Errorf("a summary to ops@g.us being settled: %s unsettled %v, %v; want %v", chat, unsettled, err, want)
		}
	}
	if unsettled, err := s.SummaryUnsettled(ctx, other, "ops@g.us"); err != nil || unsettled {
		t.Errorf("another number's chat: unsettled %v, %v", unsettled, err)
	}
}

func sameClaim(a, b bot.Claim) bool {
	return a.By == b.By && a.Phone == b.Phone && a.Msg == b.Msg && a.At.Equal(b.At)
}

// testDayFigures: the digest counts the number's first contacts since the
// day's start, the waits of those answered, and lists the routed ones
// still waiting (of any day, their chat's current one), the oldest first.
func testDayFigures(t *testing.T, s bot.Store) {
	ctx := context.Background()
	day := t0.Add(-12 * time.Hour)
	for i, c := range []struct {
		chat     string
		instance string
		created  time.Time
		routed   bool
	}{
		{"1@c.us", inst, day.Add(-time.Hour), true}, // yesterday, still waiting
		{"2@c.us", inst, day.Add(time.Hour), true},  // answered
		{"3@c.us", inst, day.Add(2 * time.Hour), true},
		{"4@c.us", inst, day.Add(3 * time.Hour), false}, // not routed
		{"5@c.us", inst, day.Add(4 * time.Hour), true},
		{"6@c.us", other, day.Add(time.Hour), true}, // another number's
	} {
		if _, err := s.ClaimFirstContact(ctx, c.instance, c.chat, "M", c.created, time.Hour); err != nil {
			t.Fatal(err)
		}
		fc := bot.FirstContact{Instance: c.instance, ChatID: c.chat, IDMessage: "M", Step: bot.StepDone, Rule: "r", CreatedAt: c.created, UpdatedAt: c.created}
		if c.routed {
			fc.Summary = bot.Outgoing{Text: "New contact", To: "ops@g.us", Attempted: true, ID: fmt.Sprint("S", i)}
		}
		if err := s.SaveFirstContact(ctx, fc); err != nil {
			t.Fatal(err)
		}
	}
	if _, first, err := s.MarkAnswered(ctx, inst, "2@c.us", "P", day.Add(70*time.Minute), "phone"); err != nil || !first {
		t.Fatal(first, err)
	}
	if err := s.SetAnswerWait(ctx, inst, "2@c.us", "M", 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	f, err := s.DayFigures(ctx, inst, day, 2)
	if err != nil {
		t.Fatal(err)
	}
	var waiting []string
	for _, fc := range f.Waiting {
		waiting = append(waiting, fc.ChatID)
	}
	if f.Contacts != 4 || fmt.Sprint(f.Answered) != "[10m0s]" || fmt.Sprint(waiting) != "[1@c.us 3@c.us]" || f.WaitingTotal != 3 {
		t.Errorf("figures: %d contacts, answered %v, waiting %v of %d; want 4, [10m0s], [1@c.us 3@c.us] of 3", f.Contacts, f.Answered, waiting, f.WaitingTotal)
	}
}

func testCallReply(t *testing.T, s bot.Store) {
	ctx := context.Background()
	const chat = "12125550107@c.us"
	const period = 24 * time.Hour
	claim := func(id string, at time.Time, within time.Duration) bool {
		t.Helper()
		ok, err := s.ClaimCallReply(ctx, inst, chat, id, at, within)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if claim("C1", t0, period) {
		t.Error("a chat without a row: claimed")
	}
	if _, err := s.ClaimFirstContact(ctx, inst, chat, "C1", t0, period); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id     string
		at     time.Time
		within time.Duration
		want   bool
	}{
		{"C1", t0, period, true},                          // the chat's first
		{"C1", t0, period, true},                          // the same call handled again
		{"C2", t0.Add(time.Hour), period, false},          // another call within the period
		{"C1", t0, period, true},                          // the first call again: still its own
		{"C3", t0.Add(period), period, true},              // a period later
		{"C4", t0.Add(period + time.Hour), period, false}, // within the new period
		{"C5", t0.Add(100 * period), 0, false},            // within 0: never again
	} {
		if got := claim(tc.id, tc.at, tc.within); got != tc.want {
			t.Errorf("ClaimCallReply(%s, %v, %v) = %v, want %v", tc.id, tc.at.Sub(t0), tc.within, got, tc.want)
		}
	}
	if !claim("C3", t0.Add(period), period) {
		t.Error("the last call handled again: not claimed")
	}
	if ok, err := s.ClaimCallReply(ctx, other, chat, "C9", t0.Add(time.Minute), period); err != nil || ok {
		t.Errorf("another number's chat: %v, %v; want nothing claimed (no row)", ok, err)
	}
}

// testAnswerChanged: a later answer to a menu is recorded beside the
// choice, which stays, and a save of the record keeps it.
func testAnswerChanged(t *testing.T, s bot.Store) {
	ctx := context.Background()
	fc := bot.FirstContact{Instance: inst, ChatID: "1@c.us", IDMessage: "M", Step: bot.StepDone, Rule: "menu", Choice: "sales", ChoiceMsg: "V1",
		CreatedAt: t0, UpdatedAt: t0}
	if err := s.SaveFirstContact(ctx, fc); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAnswerChanged(ctx, inst, "1@c.us", "M", "support", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveFirstContact(ctx, fc); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetFirstContact(ctx, inst, "1@c.us", "M")
	if err != nil || got.Choice != "sales" || got.ChangedTo != "support" || !got.ChangedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("read back choice %q, changed to %q at %v, %v; want sales, support a minute in", got.Choice, got.ChangedTo, got.ChangedAt, err)
	}
}

// testRatings: the follow-up question is due for the answered current
// first contacts whose chat has been silent since the given time and did
// not opt out, answered within the window, not asked yet; the first rating
// holds and shows in the times to answer.
func testRatings(t *testing.T, s bot.Store) {
	ctx := context.Background()
	for _, c := range []struct {
		chat     string
		answered time.Duration // after t0; 0 not answered
		optOut   bool
	}{
		{"1@c.us", 10 * time.Minute, false},
		{"2@c.us", 0, false},                // not answered
		{"3@c.us", 10 * time.Minute, true},  // opted out
		{"4@c.us", 50 * time.Minute, false}, // the chat not silent long enough
	} {
		if _, err := s.ClaimFirstContact(ctx, inst, c.chat, "M", t0, time.Hour); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveFirstContact(ctx, bot.FirstContact{Instance: inst, ChatID: c.chat, IDMessage: "M", Step: bot.StepDone, Rule: "r", CreatedAt: t0, UpdatedAt: t0,
			MessageAt: t0, Summary: bot.Outgoing{Text: "New contact", To: "ops@g.us", Attempted: true, ID: "S" + c.chat}}); err != nil {
			t.Fatal(err)
		}
		if c.answered > 0 {
			if err := s.MarkKnown(ctx, inst, c.chat, t0.Add(c.answered), time.Time{}); err != nil {
				t.Fatal(err)
			}
			if _, first, err := s.MarkAnswered(ctx, inst, c.chat, "P"+c.chat, t0.Add(c.answered), "phone"); err != nil || !first {
				t.Fatal(first, err)
			}
		}
		if c.optOut {
			if err := s.SetOptedOut(ctx, inst, c.chat, true, t0.Add(c.answered)); err != nil {
				t.Fatal(err)
			}
		}
	}
	due := func(idleBefore, answeredAfter time.Time) string {
		t.Helper()
		list, err := s.DueRatings(ctx, inst, idleBefore, answeredAfter, 10)
		if err != nil {
			t.Fatal(err)
		}
		var chats []string
		for _, fc := range list {
			chats = append(chats, fc.ChatID)
		}
		return fmt.Sprint(chats)
	}
	if got := due(t0.Add(30*time.Minute), t0); got != "[1@c.us]" {
		t.Errorf("due %s; want [1@c.us]", got)
	}
	if got := due(t0.Add(30*time.Minute), t0.Add(20*time.Minute)); got != "[]" {
		t.Errorf("due, answered before the window: %s; want none", got)
	}
	if got, err := s.DueRatings(ctx, other, t0.Add(time.Hour), t0, 10); err != nil || len(got) != 0 {
		t.Errorf("another number's: %v, %v", got, err)
	}
	if err := s.SetRatingAsked(ctx, inst, "1@c.us", "M", t0.Add(40*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := due(t0.Add(time.Hour), t0); got != "[4@c.us]" {
		t.Errorf("due after 1@c.us was asked: %s; want [4@c.us]", got)
	}
	if first, err := s.SetRating(ctx, inst, "1@c.us", "M", 4, "V1", t0.Add(41*time.Minute)); err != nil || !first {
		t.Errorf("the first rating: %v, %v", first, err)
	}
	if first, err := s.SetRating(ctx, inst, "1@c.us", "M", 4, "V1", t0.Add(41*time.Minute)); err != nil || !first {
		t.Errorf("the same vote handled again: %v, %v; want it still the rating", first, err)
	}
	if first, err := s.SetRating(ctx, inst, "1@c.us", "M", 2, "V2", t0.Add(42*time.Minute)); err != nil || first {
		t.Errorf("a second rating: %v, %v; want it refused", first, err)
	}
	fc, err := s.GetFirstContact(ctx, inst, "1@c.us", "M")
	if err != nil || fc.Rating != 4 || !fc.RatingAskedAt.Equal(t0.Add(40*time.Minute)) {
		t.Errorf("read back rating %d asked %v, %v", fc.Rating, fc.RatingAskedAt, err)
	}
	if r, ok := s.(bot.Recent); ok {
		times, err := r.AnswerTimes(ctx, t0)
		found := false
		for _, a := range times {
			found = found || a.Rating == 4
		}
		if err != nil || !found {
			t.Errorf("answer times %+v, %v; want the rating among them", times, err)
		}
	}
}
