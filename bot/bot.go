// Package bot is Frontdesk's conversation: what it says and to whom. It
// decides who is a new sender, runs a first contact's steps (look the
// sender up, pick a language, match the rules, reply, offer a menu, route
// a summary to the operators), and everything around the greeting: hours
// and away replies, the language choice, opt-out, a person's takeover,
// ignored chats, each automatic message recorded before it is sent and
// settled by the chat's history, the trace and the conversation's events.
// It stands on two lower layers that know nothing of it: package queue
// brings it each stored notification in its chat's order (Bot.Handle is
// the handler), and package greenapi/pacing paces and guards its Green
// API calls. The stores implement its Store; main wires them together.
package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// ErrNotFound is returned by a Store for a record that does not exist.
var ErrNotFound = errors.New("not found")

// ChatState is what Frontdesk keeps of a chat beyond its activity.
type ChatState struct {
	// Claimed is set by ClaimFirstContact when the message holds the
	// chat's first contact.
	Claimed bool
	// OptedOut is when the sender asked for no automatic messages; zero
	// when they did not (or opted back in).
	OptedOut time.Time
	// HumanUntil is until when a person of the business has the chat:
	// nothing automatic is sent in it before.
	HumanUntil time.Time
	// AwayUntil is the end of the closed period in which the chat got its
	// away reply: no other before it.
	AwayUntil time.Time
	// Locale is the language the sender chose from the greeting's list; ""
	// when they did not.
	Locale string
	// FirstContactMsg is the message that holds the chat's current first
	// contact ("" when the business spoke first).
	FirstContactMsg string
	// MenuWaits is set while that first contact's menu waits for the
	// sender's choice, or its end is being sent (SetMenuWaits); never for
	// the message that claims a new first contact.
	MenuWaits bool
}

// ChatMessage is the record of an automatic message outside a first
// contact (the opt-out confirmation), keyed by the chat's message that
// caused it and its kind.
type ChatMessage struct {
	Instance  string
	ChatID    string
	IDMessage string
	Kind      string
	Out       Outgoing
	CreatedAt time.Time
}

// Profile is a contact's getContactInfo answer and when it was fetched.
type Profile struct {
	Instance  string
	ChatID    string
	Info      greenapi.ContactInfo
	FetchedAt time.Time
}

// OutboxEvent is an event in the outbox: its body is what is POSTed.
type OutboxEvent struct {
	Seq       int64 // the outbox's order
	ID        string
	Instance  string // "" for events of no instance
	ChatID    string // "" for events of no chat
	Body      []byte
	CreatedAt time.Time
	Attempts  int
}

// EventSettlement is the outcome of one delivery attempt.
type EventSettlement struct {
	At        time.Time
	Delivered bool
	Attempts  int       // attempts so far, this one included
	NextAt    time.Time // when not delivered: the next attempt
	Dead      bool      // when not delivered: no more attempts
	Err       string
}

// SetAside is a body kept in the dead letters, as the status page lists it.
type SetAside struct {
	Instance   string
	Reason     string
	ReceivedAt time.Time
}

// Recent is what the status page reads of a store: the latest first
// contacts and dead letters. Both stores have it.
type Recent interface {
	// RecentFirstContacts returns at most limit first contacts, the latest
	// first.
	RecentFirstContacts(ctx context.Context, limit int) ([]FirstContact, error)
	// RecentDeadLetters returns how many bodies are kept aside, and at most
	// limit of them, the latest first.
	RecentDeadLetters(ctx context.Context, limit int) (total int, latest []SetAside, err error)
	// WaitingForAnswer returns at most limit first contacts whose summary
	// went out and that no person of the business answered yet, the
	// oldest first.
	WaitingForAnswer(ctx context.Context, limit int) ([]FirstContact, error)
	// AnswerTimes returns the rule and the wait of each first contact a
	// person answered since the given time.
	AnswerTimes(ctx context.Context, since time.Time) ([]AnswerTime, error)
}

// AnswerTime is how long one customer waited for a person's first answer.
type AnswerTime struct {
	Rule     string
	Operator string        // who claimed the contact; "" unclaimed
	Waited   time.Duration // open time, with [hours]
	Rating   int           // the customer's rating, 1 to 5; 0 none
}

// DayFigures are a daily digest's figures (Store.DayFigures).
type DayFigures struct {
	Contacts     int             // first contacts that began since the day's start
	Answered     []time.Duration // the waits of those a person answered (open time)
	Waiting      []FirstContact  // routed contacts still waiting, the oldest first
	WaitingTotal int             // how many wait in all
}

// Forgotten counts the rows Store.Forget removed, by kind.
type Forgotten struct {
	Profiles, Chats, FirstContacts, Notifications, DeadLetters, Events, ChatMessages int
}

// Step is how far a first contact has got. Steps are recorded before the
// side effect they describe, so that a crash can be settled on restart.
type Step string

// The steps of a first contact, in order.
const (
	StepClaimed Step = "claimed" // the sender is new; nothing sent
	StepDecided Step = "decided" // texts rendered and recorded; sending may start
	StepReplied Step = "replied" // the reply went out (or there was none)
	// A greeting that ends with a menu (a rule's choices) waits for the
	// sender's choice between the reply and the summary.
	StepChoosing Step = "choosing" // the greeting and its menu went out; the choice is awaited until ChoiceUntil
	StepChosen   Step = "chosen"   // the choice (or the wait's end) recorded, with the answer and the summary; sending goes on
	StepDone     Step = "done"     // the operator summary went out (or there was none)
	StepGaveUp   Step = "gave_up"  // Green API refused for good (quota spent)
)

// FirstContact is the record of one first contact, keyed by the chat and
// the message that started it.
type FirstContact struct {
	Instance  string
	ChatID    string
	IDMessage string
	Step      Step
	Rule      string
	Tag       string
	Locale    string
	// Reply is the greeting, sent to ChatID (its To is not stored); no
	// Text for no reply.
	Reply Outgoing
	// Summary is the operator summary; none without Text or To. While a
	// menu waits, To is the rule's own route.
	Summary Outgoing
	// ChoiceUntil, set when the greeting ends with a menu, is when the wait
	// for the choice ends (until the greeting goes out: the claim plus the
	// wait).
	ChoiceUntil time.Time
	// Choice is the id of the option the sender chose; "" before, or when
	// the wait ran out. ChoiceBy says how: ChosenByPoll, ChosenByButton,
	// ChosenByNumber or ChosenByLabel.
	Choice   string
	ChoiceBy string
	// ChoiceMsg is the message that chose, or the notification that ended
	// the wait (its idMessage); "" while the menu waits.
	ChoiceMsg string
	// Answer is the chosen option's reply, sent to ChatID; no Text for none.
	Answer Outgoing
	// Degraded says why the profile lookup was skipped or failed, if it was.
	Degraded string
	// Skipped says why the greeting was not sent (SkippedHuman,
	// SkippedOptedOut), if it was not.
	Skipped string
	// MessageAt is when the customer wrote the message that started it
	// (WhatsApp's time; zero for records from before it was kept): the
	// answer's wait and the reminders count from it, not from CreatedAt,
	// when Frontdesk handled it.
	MessageAt time.Time
	// Reminder is the reminder to the summary's chat, due at RemindAt
	// unless a person answered; Escalation the message to escalate_to, due
	// at EscalateAt. Rendered and recorded with the summary; their To is
	// set once the summary went out.
	Reminder   Outgoing
	RemindAt   time.Time
	Escalation Outgoing
	EscalateAt time.Time
	// AnsweredAt is when a person of the business first wrote in the chat
	// after it began, by AnsweredBy ("phone" or "api"); zero before. Only
	// MarkAnswered writes them.
	AnsweredAt time.Time
	AnsweredBy string
	// ChangedTo is the option a later vote or tap on the menu holds (a
	// choice's id; "none" for no option), when the sender changed their
	// answer after the choice, which stands; ChangedAt when. Only
	// SetAnswerChanged writes them.
	ChangedTo string
	ChangedAt time.Time
	// RatingAskedAt is when the follow-up question (rating) was asked, or
	// settled as never asked; zero before. Rating is the customer's answer,
	// 1 to 5; 0 none. Only SetRatingAsked and SetRating write them.
	RatingAskedAt time.Time
	Rating        int
	// Claim is the operator who took the contact by quoting its summary
	// (or its reminder) with a claim word in the operators' chat; zero
	// before. Only TakeFirstContact writes it.
	Claim Claim
	// gaveUp says why a message was refused for good, until the record is
	// saved as gave_up (for its event).
	gaveUp    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Claim is an operator's claim of a first contact in the operators' chat.
type Claim struct {
	By    string // the operator's name, as WhatsApp shows it
	Phone string // the operator's number, in international format; "" for an @lid sender without one
	Msg   string // the claim message's idMessage
	At    time.Time
}

// Store is the durable state Frontdesk needs. Implementations: store/sqlite
// and store/postgres, both held to store/storetest.
// Every method is safe for concurrent use; the claims are atomic.
type Store interface {
	// The durable inbox: notifications and dead letters.
	queue.Store
	// AdoptUnassigned gives the rows kept before Frontdesk served several
	// instances (their instance is "") to instance, and returns how many.
	AdoptUnassigned(ctx context.Context, instance string) (int, error)
	// PruneNotifications deletes at most limit notifications finished
	// before the given time, oldest first, and returns how many it deleted.
	PruneNotifications(ctx context.Context, finishedBefore time.Time, limit int) (int, error)
	// PruneContacts deletes the personal data older than before: profiles
	// fetched, first contacts finished (done or gave_up), dead letters
	// received and events delivered or dead before it. It returns how many
	// rows it deleted.
	PruneContacts(ctx context.Context, before time.Time) (int, error)
	// PruneChats deletes the chats silent since before, unless a first
	// contact of theirs is unfinished, and returns how many.
	PruneChats(ctx context.Context, before time.Time) (int, error)
	// Forget erases everything kept about a chat, with every instance:
	// its profiles, its chat rows, its first contacts, its notifications,
	// its events and the dead letters whose body names it; it says how many
	// rows of each it removed.
	Forget(ctx context.Context, chatID string) (Forgotten, error)
	// LIDNotifications returns the stored notifications of `…@lid` chats
	// whose body contains text, with their bodies, oldest first: where
	// LIDChatsOf looks for the @lid chats a phone number wrote from.
	LIDNotifications(ctx context.Context, text string) ([]queue.Notification, error)

	// MarkKnown records that the business wrote in a chat of instance at
	// the given time: the chat is known, its next incoming message is no
	// first contact (unless the chat falls silent for long). A humanUntil
	// after the chat's records that a person took the chat over until then
	// (zero: Frontdesk's own message, no takeover).
	MarkKnown(ctx context.Context, instance, chatID string, at, humanUntil time.Time) error
	// ClaimFirstContact records an incoming message in a chat of instance
	// and atomically claims a first contact when the chat was never seen or
	// was silent for longer than newAfter (0: never seen only). It reports
	// whether the message idMessage holds the claim (again true when the
	// same message is handled a second time), and the chat's state, in the
	// same statement.
	ClaimFirstContact(ctx context.Context, instance, chatID, idMessage string, at time.Time, newAfter time.Duration) (ChatState, error)
	// MarkAnswered records that a person of the business answered the
	// chat's current first contact at the given time, by "phone" or "api",
	// with the message sentID, unless it is answered already, began after
	// at, or sentID is one of Frontdesk's own messages in the chat (its
	// greeting, its answer to a choice, an automatic message). It returns
	// the first contact (its message, rule, choice, start and MessageAt)
	// and whether this was its first answer, or the same answer handled
	// again (a retry settles it again); one indexed write. An answer
	// written before the customer's message (WhatsApp's times) is none.
	MarkAnswered(ctx context.Context, instance, chatID, sentID string, at time.Time, by string) (fc FirstContact, first bool, err error)
	// DueReminders returns at most limit first contacts of the given
	// instances that no person answered, whose reminder (kind "reminder")
	// or escalation ("escalation") has a recipient, is due by now, is not
	// sent, and has no TypeReminderDue notification stored yet under its
	// ReminderID (which a claim changes), the earliest due first.
	DueReminders(ctx context.Context, kind string, now time.Time, instances []string, limit int) ([]FirstContact, error)
	// SetAnswerChanged records that a later vote or tap on a first
	// contact's menu holds option to (a choice's id, or "none"), at the
	// given time; its recorded choice stands.
	SetAnswerChanged(ctx context.Context, instance, chatID, idMessage, to string, at time.Time) error
	// DueRatings returns at most limit first contacts of instance, its
	// chats' current ones, that a person answered after answeredAfter, whose
	// chat has been silent since idleBefore, that did not opt out, and whose
	// follow-up question was not asked, the earliest answered first.
	DueRatings(ctx context.Context, instance string, idleBefore, answeredAfter time.Time, limit int) ([]FirstContact, error)
	// SetRatingAsked records that the follow-up question of a first
	// contact was asked (or settled as never asked) at the given time.
	SetRatingAsked(ctx context.Context, instance, chatID, idMessage string, at time.Time) error
	// SetRating records the customer's rating, 1 to 5, given in the vote
	// vote, unless another vote's is recorded already; it reports whether
	// this vote's is the rating (again true when the same vote is handled a
	// second time).
	SetRating(ctx context.Context, instance, chatID, idMessage string, rating int, vote string, at time.Time) (bool, error)
	// FirstContactBySent returns the first contact of instance whose
	// summary, reminder or escalation Green API sent as sentID, or
	// ErrNotFound.
	FirstContactBySent(ctx context.Context, instance, sentID string) (FirstContact, error)
	// SummaryUnsettled reports whether a summary of instance to chatID was
	// sent and its id is not recorded yet (its outcome being settled).
	SummaryUnsettled(ctx context.Context, instance, chatID string) (bool, error)
	// TakeFirstContact records that c claimed the first contact, unless
	// another claim holds it, and returns the record as it is after: its
	// Claim is c, or the claim that was there. With the claim, a reminder
	// and an escalation not sent yet are due no earlier than remindAt and
	// escalateAt (the claimer's own time to answer); one indexed write.
	TakeFirstContact(ctx context.Context, instance, chatID, idMessage string, c Claim, remindAt, escalateAt time.Time) (FirstContact, error)
	// DayFigures returns the figures of a daily digest of instance: its
	// first contacts that began since the given time, the waits of those a
	// person answered, and the routed contacts of any day still waiting for
	// a person (the current first contact of their chat), the oldest first,
	// at most limit of them, with how many there are.
	DayFigures(ctx context.Context, instance string, since time.Time, limit int) (DayFigures, error)
	// SetAnswerWait records how long the customer of an answered first
	// contact waited (open time), for the status page.
	SetAnswerWait(ctx context.Context, instance, chatID, idMessage string, waited time.Duration) error
	// ReleaseFirstContact forgets that idMessage claimed the chat's first
	// contact, so that the chat's next message claims one again: nothing
	// reached the sender nor the operators. It keeps a chat a person of
	// the business has, or whose sender opted out.
	ReleaseFirstContact(ctx context.Context, instance, chatID, idMessage string) error
	// ClaimCallReply claims for the call idMessage the chat's one answer
	// to a call within a period: it reports true when the chat never had
	// one, when its last was within before at or earlier (within 0: never
	// again), or when it was this call's (handled again), and records at
	// as the last. It claims nothing in a chat it has no row of
	// (ClaimFirstContact writes it).
	ClaimCallReply(ctx context.Context, instance, chatID, idMessage string, at time.Time, within time.Duration) (bool, error)
	// GetChat returns a chat's state; a chat never seen has the zero state.
	GetChat(ctx context.Context, instance, chatID string) (ChatState, error)
	// SetOptedOut records that the chat opted out of automatic messages at
	// the given time (out), or opted back in.
	SetOptedOut(ctx context.Context, instance, chatID string, out bool, at time.Time) error
	// SetAwayUntil records that the chat got its away reply for the closed
	// period that ends at until.
	SetAwayUntil(ctx context.Context, instance, chatID string, until time.Time) error
	// SetMenuWaits records whether the menu of the chat's first contact
	// idMessage waits; nothing when another first contact is the chat's
	// current one.
	SetMenuWaits(ctx context.Context, instance, chatID, idMessage string, waits bool) error
	// SetLocale records the language the sender chose.
	SetLocale(ctx context.Context, instance, chatID, locale string) error
	// GetChatMessage returns the record of an automatic message caused by a
	// message of the chat, or ErrNotFound.
	GetChatMessage(ctx context.Context, instance, chatID, idMessage, kind string) (ChatMessage, error)
	// SaveChatMessage creates or updates such a record.
	SaveChatMessage(ctx context.Context, m ChatMessage) error

	// GetProfile returns the cached profile of a chat, or ErrNotFound.
	GetProfile(ctx context.Context, instance, chatID string) (Profile, error)
	// SaveProfile caches a profile.
	SaveProfile(ctx context.Context, p Profile) error

	// DueChoices returns at most limit first contacts of the given
	// instances whose menu waits (StepChoosing) past its ChoiceUntil,
	// before now, for which no TypeChoiceWaitEnded notification is stored
	// yet, the oldest first.
	DueChoices(ctx context.Context, now time.Time, instances []string, limit int) ([]FirstContact, error)
	// EndOrphanChoices ends, as gave_up with Skipped SkippedRemoved, the
	// menus of instances other than the given ones whose wait ended before
	// before: a number removed for good never ends them itself. It returns
	// how many it ended.
	EndOrphanChoices(ctx context.Context, before time.Time, instances []string, at time.Time) (int, error)
	// GetFirstContact returns the record of a first contact, or ErrNotFound.
	GetFirstContact(ctx context.Context, instance, chatID, idMessage string) (FirstContact, error)
	// SaveFirstContact creates or updates the record of a first contact.
	SaveFirstContact(ctx context.Context, fc FirstContact) error

	// AddEvent keeps an event in the outbox, unless one with its id is
	// there already.
	AddEvent(ctx context.Context, e OutboxEvent) error
	// DueEvents returns at most limit events to deliver now: of each chat,
	// the oldest not yet delivered nor dead, if its next attempt is due.
	DueEvents(ctx context.Context, now time.Time, limit int) ([]OutboxEvent, error)
	// SettleEvent records the outcome of a delivery attempt of event seq.
	SettleEvent(ctx context.Context, seq int64, s EventSettlement) error
	// CountEvents returns how many events wait and how many are dead.
	CountEvents(ctx context.Context) (waiting, dead int, err error)

	// Ping checks that the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store.
	Close() error
}

// Config tunes the bot of one instance.
type Config struct {
	// Instance is the idInstance of the Green API instance the bot works
	// for: its chats are the instance's.
	Instance string
	// NewSenderAfter is how long a chat must be silent for its next
	// incoming message to be a first contact again; 0: first message ever only.
	NewSenderAfter time.Duration
	// ProfileRefresh is how long a fetched profile is reused.
	ProfileRefresh time.Duration
	// LookupTimeout bounds the wait for the sender's profile, counted from
	// the moment the first contact is claimed: the wait for a turn of
	// getContactInfo (one every 1.05 s) and every retry included. Past it the
	// greeting goes out without the profile.
	LookupTimeout time.Duration
	// Lookup tunes the pace and the retries of getContactInfo.
	Lookup LookupConfig
	// OperatorChatID receives the summaries of rules that forward without
	// naming a chat.
	OperatorChatID string
	// OperatorLocale is the summaries' language; default: the default locale.
	OperatorLocale string
	// Events keeps a first_contact event in the outbox for each first
	// contact that ends (EVENTS_URL).
	Events bool
	// Trace, if set, is told each step of each first contact (the sandbox).
	Trace func(Trace)
	// HumanPause is how long nothing automatic is sent in a chat after a
	// person of the business wrote in it (outgoingMessageReceived); 0 never.
	HumanPause time.Duration
	// Ignore names the chats never greeted (IGNORE_CHATS).
	Ignore *ChatFilter
}

// Metrics counts what the bot does; the service exports it.
type Metrics interface {
	FirstContact(rule, tag, locale string)
	// Conversation counts what happens around the greeting: opted_out,
	// opted_in, human_wrote, ignored, away, language_chosen, chosen,
	// choice_timed_out, choice_hint, skipped_human,
	// skipped_opted_out, answer and event (a sender's button reply or poll
	// vote, edit, deletion or reaction: never a first contact), reminded
	// and escalated (no person answered a contact in time), held (the hold
	// message), claimed (an operator took a contact) and digest.
	Conversation(event string)
	LookupFailed(reason string)
	MessageSent(kind string)
	GaveUp(reason string)
	// Answered observes the time to a first contact's first answer by a
	// person of the business (open hours only).
	Answered(rule, choice, by string, waited time.Duration)
	// Call counts a call to the number from a personal chat, by its
	// status (offer, pickUp, hangUp, missed, declined, …).
	Call(status string)
	pacing.GuardMetrics
}

// Bot handles stored notifications: it decides who is new and runs their
// first contact.
type Bot struct {
	store   Store
	api     pacing.API
	catalog *Catalog
	rules   Rules
	cfg     Config
	log     *slog.Logger
	metrics Metrics
	lookups *Lookups
	words   optWords // the stop and start words of every locale
	// claimWords are the claim words of every locale, normalized;
	// operatorChats the chats read for claims (OperatorChats).
	claimWords    map[string]bool
	operatorChats map[string]bool
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// New returns a bot. metrics may be nil.
func New(store Store, api pacing.API, catalog *Catalog, rules Rules, cfg Config, log *slog.Logger, metrics Metrics) *Bot {
	cfg = cfg.normalized(catalog)
	if metrics == nil {
		metrics = nopMetrics{}
	}
	if cfg.Instance != "" {
		log = log.With("instance", cfg.Instance)
	}
	cfg.Lookup.Instance = cfg.Instance
	b := &Bot{store: store, api: api, catalog: catalog, rules: rules, cfg: cfg, log: log, metrics: metrics, words: newOptWords(catalog),
		claimWords: wordsOf(catalog, MsgClaimWords), operatorChats: OperatorChats(rules, cfg.OperatorChatID), Now: time.Now}
	// Profiles are dated by the bot's clock, which decides when they are stale.
	b.lookups = NewLookups(api, store, cfg.Lookup, func() time.Time { return b.Now() }, log)
	return b
}

// normalized fills in the defaults of cfg for catalog.
func (cfg Config) normalized(catalog *Catalog) Config {
	if cfg.OperatorLocale == "" || !catalog.Supports(cfg.OperatorLocale) {
		cfg.OperatorLocale = catalog.DefaultLocale()
	}
	if cfg.LookupTimeout <= 0 {
		cfg.LookupTimeout = 30 * time.Second
	}
	return cfg
}

// WithContent returns a bot of the same instance that works with other
// locales, rules and settings (a reload), and shares b's Green API client
// and lookups: a first contact waiting for a lookup goes on with the new
// bot. cfg's Instance and Lookup are b's. Close only one of the two.
func (b *Bot) WithContent(catalog *Catalog, rules Rules, cfg Config) *Bot {
	cfg.Instance, cfg.Lookup = b.cfg.Instance, b.cfg.Lookup
	c := *b
	c.catalog, c.rules, c.cfg, c.words = catalog, rules, cfg.normalized(catalog), newOptWords(catalog)
	c.claimWords, c.operatorChats = wordsOf(catalog, MsgClaimWords), OperatorChats(rules, c.cfg.OperatorChatID)
	return &c
}

// Close stops the lookups in flight; call it once the pool has stopped.
func (b *Bot) Close() { b.lookups.Close() }

type nopMetrics struct{}

func (nopMetrics) FirstContact(string, string, string) {}

func (nopMetrics) LookupFailed(string) {}

func (nopMetrics) MessageSent(string) {}

func (nopMetrics) Call(string) {}

func (nopMetrics) GaveUp(string) {}

func (nopMetrics) Answered(string, string, string, time.Duration) {}

func (nopMetrics) Conversation(string) {}

func (nopMetrics) GreenAPIPaused(bool) {}
