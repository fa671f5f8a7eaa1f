package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// ErrPermanent marks a failure that retrying will not mend; the notification
// is set aside instead of retried.
var ErrPermanent = errors.New("permanent failure")

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
	// skipped_opted_out.
	Conversation(event string)
	LookupFailed(reason string)
	MessageSent(kind string)
	GaveUp(reason string)
	GuardMetrics
}

// Bot handles stored notifications: it decides who is new and runs their
// first contact.
type Bot struct {
	store   Store
	api     GreenAPI
	catalog *Catalog
	rules   Rules
	cfg     Config
	log     *slog.Logger
	metrics Metrics
	lookups *Lookups
	words   optWords // the stop and start words of every locale
	// Now is the clock; tests replace it.
	Now func() time.Time
}

// New returns a bot. metrics may be nil.
func New(store Store, api GreenAPI, catalog *Catalog, rules Rules, cfg Config, log *slog.Logger, metrics Metrics) *Bot {
	cfg = cfg.normalized(catalog)
	if metrics == nil {
		metrics = nopMetrics{}
	}
	if cfg.Instance != "" {
		log = log.With("instance", cfg.Instance)
	}
	cfg.Lookup.Instance = cfg.Instance
	b := &Bot{store: store, api: api, catalog: catalog, rules: rules, cfg: cfg, log: log, metrics: metrics, words: newOptWords(catalog), Now: time.Now}
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
	return &c
}

// Close stops the lookups in flight; call it once the pool has stopped.
func (b *Bot) Close() { b.lookups.Close() }

type nopMetrics struct{}

func (nopMetrics) FirstContact(string, string, string) {}
func (nopMetrics) LookupFailed(string)                 {}
func (nopMetrics) MessageSent(string)                  {}
func (nopMetrics) GaveUp(string)                       {}
func (nopMetrics) Conversation(string)                 {}
func (nopMetrics) GreenAPIPaused(bool)                 {}

// Handle processes one stored notification. It is safe to call again with
// the same notification after a failure or a crash: every step is recorded
// before its side effect and settled on the next call. An error wrapping
// ErrPermanent will not go away by retrying.
func (b *Bot) Handle(ctx context.Context, n Notification) error {
	if n.TypeWebhook == TypeChoiceWaitEnded {
		return b.choiceWaitEnded(ctx, n)
	}
	parsed := n.parsed
	if parsed == nil {
		var err error
		if parsed, err = greenapi.ParseNotification(n.Body); err != nil {
			return fmt.Errorf("%w: %v", ErrPermanent, err)
		}
	}
	msg, ok := greenapi.MessageOf(parsed)
	if !ok {
		return nil
	}
	at := time.Unix(msg.Timestamp, 0)
	if msg.Timestamp == 0 {
		at = n.ReceivedAt
	}
	chatID := msg.SenderData.ChatID
	switch parsed.(type) {
	case *greenapi.OutgoingMessageReceived, *greenapi.OutgoingAPIMessageReceived:
		// The business (or Frontdesk itself, or another program through the
		// API) wrote: the chat is known. A person who wrote from the phone
		// or another client has the chat for HumanPause.
		var humanUntil time.Time
		_, byPerson := parsed.(*greenapi.OutgoingMessageReceived)
		if byPerson && b.cfg.HumanPause > 0 {
			humanUntil = at.Add(b.cfg.HumanPause)
		}
		if err := b.store.MarkKnown(ctx, b.cfg.Instance, chatID, at, humanUntil); err != nil {
			return err
		}
		ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
		if byPerson && b.cfg.HumanPause > 0 {
			b.metrics.Conversation("human_wrote")
			b.log.Debug("a person of the business wrote: nothing automatic in the chat until then", "chat", chatID, "until", humanUntil)
			b.trace(ref, "known", "a person of the business wrote: nothing automatic in this chat until %s", humanUntil.UTC().Format(time.RFC3339))
		} else {
			b.trace(ref, "known", "the business wrote: the chat is known, not greeted")
		}
		return nil
	case *greenapi.IncomingMessageReceived:
		if !greenapi.IsPersonalChat(chatID) || (msg.InstanceData.Wid != "" && msg.SenderData.Sender == msg.InstanceData.Wid) {
			return nil
		}
		if b.cfg.Ignore.Match(chatID) {
			b.metrics.Conversation("ignored")
			b.trace(&FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}, "ignored", "the chat is in IGNORE_CHATS")
			return nil
		}
		state, err := b.store.ClaimFirstContact(ctx, b.cfg.Instance, chatID, msg.IDMessage, at, b.cfg.NewSenderAfter)
		if err != nil {
			return err
		}
		text, _ := greenapi.MessageText(msg.MessageData.Message)
		optWord := false
		switch word := normalizeWord(text); {
		case b.words.out[word]:
			optWord = true
			if err := b.optOut(ctx, msg, state, at); err != nil {
				return err
			}
		case b.words.in[word] && !state.OptedOut.IsZero():
			optWord = true
			if err := b.optIn(ctx, msg, at); err != nil {
				return err
			}
		}
		if !state.Claimed {
			if chose, err := b.languageChoice(ctx, msg, state, at); err != nil || chose {
				return err
			}
			if menu, err := b.menuReply(ctx, msg, state, optWord); err != nil || menu {
				return err
			}
			if err := b.awayReply(ctx, msg, state, at); err != nil {
				return err
			}
			b.trace(&FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}, "known",
				"not a first contact: the chat was active within %v (NEW_SENDER_AFTER)", b.cfg.NewSenderAfter)
			return nil
		}
		return b.firstContact(ctx, msg)
	}
	return nil
}

// firstContact runs (or resumes) the first contact that msg started.
func (b *Bot) firstContact(ctx context.Context, msg *greenapi.MessageNotification) error {
	chatID := msg.SenderData.ChatID
	fc, err := b.store.GetFirstContact(ctx, b.cfg.Instance, chatID, msg.IDMessage)
	if errors.Is(err, ErrNotFound) {
		now := b.Now()
		fc = FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage, Step: StepClaimed, CreatedAt: now, UpdatedAt: now}
		// Recorded before the lookup: its budget counts from this moment,
		// across waits and restarts.
		if err := b.store.SaveFirstContact(ctx, fc); err != nil {
			return err
		}
		b.trace(&fc, "claimed", "a new sender: this message starts a first contact")
	} else if err != nil {
		return err
	}
	fc.Reply.To = chatID // not stored: a greeting goes to its chat
	save := func(ctx context.Context) error { return b.save(ctx, &fc) }
	log := b.log.With("chat", chatID, "idMessage", msg.IDMessage)
	name := firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName)
	if fc.Step == StepClaimed {
		if err := b.decide(ctx, &fc, msg, log); err != nil {
			return err
		}
		log.Info("first contact", "rule", fc.Rule, "tag", fc.Tag, "locale", fc.Locale, "degraded", fc.Degraded)
		b.metrics.FirstContact(fc.Rule, fc.Tag, fc.Locale)
		if fc.Step == StepDone { // no rule matched: nothing to send
			return b.end(ctx, &fc, name)
		}
	}
	if fc.Step == StepDecided {
		if fc.Reply.Text != "" && !fc.Reply.Attempted && fc.Skipped == "" {
			// A person may have taken the chat over, or the sender opted out,
			// while the greeting waited for its profile.
			st, err := b.store.GetChat(ctx, b.cfg.Instance, chatID)
			if err != nil {
				return err
			}
			if why := b.silenced(st); why != "" {
				fc.Skipped = why
				if err := b.save(ctx, &fc); err != nil {
					return err
				}
				b.metrics.Conversation("skipped_" + why)
				log.Info("greeting not sent", "why", why)
				b.trace(&fc, "skipped", "the greeting is not sent: %s", skippedText(why))
			}
		}
		if fc.Reply.Text != "" && fc.Skipped == "" {
			gaveUp, err := b.deliver(ctx, &fc.Reply, "reply", fc.CreatedAt, save, log)
			if err != nil {
				return err
			}
			if gaveUp != "" {
				fc.Step, fc.gaveUp = StepGaveUp, gaveUp
				b.trace(&fc, "gave up", "Green API refused the reply for good: %s", gaveUp)
				return b.end(ctx, &fc, name)
			}
			b.trace(&fc, "replied", "sendMessage %s", fc.Reply.ID)
			// A greeting sent while closed is the chat's away reply for
			// this closed period.
			if _, open, next := b.openAt(msg, fc.CreatedAt); !open && !next.IsZero() {
				if err := b.store.SetAwayUntil(ctx, b.cfg.Instance, chatID, next); err != nil {
					return err
				}
			}
		}
		if !fc.ChoiceUntil.IsZero() && fc.Reply.Sent() {
			// The greeting ends with a menu: the summary waits for the
			// choice, or for the wait's end (EndChoiceWaits), counted from
			// now.
			fc.Step, fc.ChoiceUntil = StepChoosing, b.Now().Add(fc.ChoiceUntil.Sub(fc.CreatedAt))
			// The chat first, so that the sender's next message is read
			// as a choice however a crash cuts these two writes.
			if err := b.store.SetMenuWaits(ctx, b.cfg.Instance, chatID, fc.IDMessage, true); err != nil {
				return err
			}
			if err := b.save(ctx, &fc); err != nil {
				return err
			}
			b.trace(&fc, "choosing", "the menu waits for the sender's choice until %s", fc.ChoiceUntil.UTC().Format(time.RFC3339))
			return nil
		}
		fc.Step = StepReplied
		if err := b.save(ctx, &fc); err != nil {
			return err
		}
	}
	return b.forward(ctx, &fc, name, log)
}

// forward sends the summary of a first contact that replied (StepReplied),
// once, and ends it.
func (b *Bot) forward(ctx context.Context, fc *FirstContact, name string, log *slog.Logger) error {
	if fc.Step != StepReplied {
		return nil
	}
	if fc.Summary.Text != "" && fc.Summary.To != "" {
		save := func(ctx context.Context) error { return b.save(ctx, fc) }
		gaveUp, err := b.deliver(ctx, &fc.Summary, "summary", fc.CreatedAt, save, log)
		if err != nil {
			return err
		}
		if gaveUp != "" {
			fc.Step, fc.gaveUp = StepGaveUp, gaveUp
			b.trace(fc, "gave up", "Green API refused the summary for good: %s", gaveUp)
			return b.end(ctx, fc, name)
		}
		b.trace(fc, "forwarded", "the summary to %s", fc.Summary.To)
	}
	fc.Step = StepDone
	if err := b.end(ctx, fc, name); err != nil {
		return err
	}
	b.trace(fc, "done", "")
	return nil
}

// end records a first contact as done or given up, after its event is in
// the outbox: a crash in between writes the same event again, kept once.
// name is the sender's name as WhatsApp shows it, if known.
func (b *Bot) end(ctx context.Context, fc *FirstContact, name string) error {
	if err := b.emitFirstContact(ctx, fc, name); err != nil {
		return err
	}
	return b.save(ctx, fc)
}

func (b *Bot) save(ctx context.Context, fc *FirstContact) error {
	fc.UpdatedAt = b.Now()
	return b.store.SaveFirstContact(ctx, *fc)
}

// decide looks the sender up, evaluates the rules (decision), and
// records the reply and the summary (StepDecided) before anything is sent.
func (b *Bot) decide(ctx context.Context, fc *FirstContact, msg *greenapi.MessageNotification, log *slog.Logger) error {
	chatID := msg.SenderData.ChatID
	info, degraded, err := b.profile(ctx, chatID, fc.CreatedAt, log)
	if err != nil {
		return err
	}
	fc.Degraded = degraded
	b.trace(fc, "looked up", "%s", profileDetail(info, degraded))
	st, err := b.store.GetChat(ctx, b.cfg.Instance, chatID)
	if err != nil {
		return err
	}
	text, _ := greenapi.MessageText(msg.MessageData.Message)
	at, _, _ := b.openAt(msg, fc.CreatedAt)
	d, err := b.decision(Sender{ChatID: chatID, Name: firstNonEmpty(msg.SenderData.SenderContactName, msg.SenderData.SenderName),
		Info: info, Text: text, At: at, OptedOut: !st.OptedOut.IsZero(), Locale: st.Locale})
	if err != nil {
		return err
	}
	if d.Rule == nil {
		fc.Step = StepDone // recorded by the caller, with its event
		log.Warn("first contact matched no rule: nothing sent")
		b.trace(fc, "decided", "no rule matched: nothing is sent")
		return nil
	}
	if d.Forward && d.Summary.To == "" {
		log.Warn("rule forwards but OPERATOR_CHAT_ID is not set: no summary sent", "rule", d.Rule.ID)
	}
	fc.Rule, fc.Tag, fc.Locale = d.Rule.ID, d.Rule.Tag, d.Locale
	d.Reply.To = chatID
	fc.Reply, fc.Summary = d.Reply, d.Summary
	if d.Menu {
		fc.ChoiceUntil = fc.CreatedAt.Add(d.Rule.ChoiceWait) // the wait, until the greeting goes out
	}
	fc.Step = StepDecided
	if err := b.save(ctx, fc); err != nil {
		return err
	}
	b.trace(fc, "decided", "%s", d.describe())
	return nil
}

func tagText(tag string) string {
	if tag == "" {
		return ""
	}
	return " (tag " + tag + ")"
}

// profile returns the sender's profile: cached when fresh, else looked up
// (see Lookups). Until the lookup is settled it returns a *WaitError; when
// the lookup fails, or the first contact's budget (LookupTimeout since it
// was claimed) runs out, it goes on with what it has and says why in one
// WARN line and in the metric.
func (b *Bot) profile(ctx context.Context, chatID string, claimed time.Time, log *slog.Logger) (info greenapi.ContactInfo, degraded string, err error) {
	fetched, err, settled := b.lookups.Take(chatID)
	if !settled {
		cached, cacheErr := b.store.GetProfile(ctx, b.cfg.Instance, chatID)
		switch {
		case cacheErr == nil && b.Now().Sub(cached.FetchedAt) < b.cfg.ProfileRefresh:
			return cached.Info, "", nil
		case cacheErr != nil && !errors.Is(cacheErr, ErrNotFound):
			return info, "", fmt.Errorf("reading the cached profile: %w", cacheErr)
		}
		fetched, err = b.lookups.Result(chatID, b.cfg.LookupTimeout-b.Now().Sub(claimed))
	}
	var wait *WaitError
	switch {
	case errors.As(err, &wait):
		return info, "", err
	case err != nil:
		reason := lookupReason(err)
		b.metrics.LookupFailed(reason)
		log.Warn("getContactInfo failed: greeting without the profile", "reason", reason, "err", err)
		if cached, err := b.store.GetProfile(ctx, b.cfg.Instance, chatID); err == nil {
			return cached.Info, reason, nil // stale, but better than none
		}
		return info, reason, nil
	}
	return *fetched, "", nil
}

// RenderReply renders a reply and keeps it within Green API's limit: when
// the product list makes it too long, it lists as many products as fit and
// adds the localized "and N more".
func (c *Catalog) RenderReply(locale, id string, data TemplateData) (string, error) {
	text, err := c.Localize(locale, id, data, data.ProductCount)
	if err != nil || utf8.RuneCountInString(text) <= greenapi.MaxMessageLength {
		return text, err
	}
	all := data.Products
	render := func(k int) (string, error) {
		d := data
		d.Products = all[:k]
		body, err := c.Localize(locale, id, d, d.ProductCount)
		if err != nil {
			return "", err
		}
		more, err := c.Localize(locale, MsgMoreProducts, TemplateData{Count: len(all) - k}, len(all)-k)
		if err != nil {
			return "", err
		}
		return strings.TrimRight(body, "\n") + "\n" + more, nil
	}
	// Binary search for the most products that fit.
	lo, hi := 0, len(all)-1
	best := ""
	for lo <= hi {
		mid := (lo + hi) / 2
		s, err := render(mid)
		if err != nil {
			return "", err
		}
		if utf8.RuneCountInString(s) <= greenapi.MaxMessageLength {
			best, lo = s, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best == "" {
		return truncate(text, greenapi.MaxMessageLength), nil
	}
	return best, nil
}

// truncate cuts s to at most n characters, ending with an ellipsis if cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

func productData(p greenapi.Product) ProductData {
	d := ProductData{Name: p.Name, Description: p.Description, Availability: p.Availability}
	if p.Price != nil && p.Price.String() != "" {
		d.Price = strings.TrimSpace(p.Price.String() + " " + p.Currency)
	}
	return d
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x = strings.TrimSpace(x); x != "" {
			return x
		}
	}
	return ""
}
