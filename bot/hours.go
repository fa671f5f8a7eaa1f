package bot

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// Hours are a business's opening hours, in its time zone: ranges per
// weekday (several a day; a range may end after midnight, on the next
// day), and dates it is closed. Times are wall-clock times of the zone, so
// "09:00" stays 09:00 across a change to or from summer time.
type Hours struct {
	loc    *time.Location
	week   [7][]span // by time.Weekday
	closed map[string]bool
	// Away says who gets an away reply while closed: AwayNewSenders (the
	// rules decide a first contact's reply, with open = false) or
	// AwayEveryone (a known sender writing while closed gets one too).
	Away string
	// AwayReply is the message id of the away reply to known senders.
	AwayReply string
}

// Who gets an away reply (Hours.Away).
const (
	AwayNewSenders = "new_senders"
	AwayEveryone   = "everyone"
)

// Message ids of the away reply.
const (
	MsgAway     = "away"      // the default away reply
	MsgWeekdays = "weekdays"  // the seven days, from Sunday, as next_open uses them
	MsgNextOpen = "next_open" // "on Monday at 09:00"
)

// span is an opening range, in minutes from the day's midnight; end may be
// past 24*60 (it ends the next day).
type span struct{ start, end int }

// hoursSpec is the [hours] table as written.
type hoursSpec struct {
	Timezone  string   `toml:"timezone"`
	Monday    []string `toml:"monday"`
	Tuesday   []string `toml:"tuesday"`
	Wednesday []string `toml:"wednesday"`
	Thursday  []string `toml:"thursday"`
	Friday    []string `toml:"friday"`
	Saturday  []string `toml:"saturday"`
	Sunday    []string `toml:"sunday"`
	Closed    []string `toml:"closed"`
	Away      string   `toml:"away"`
	AwayReply string   `toml:"away_reply"`
}

// parse checks the [hours] table; fail reports a problem under its key.
func (hs hoursSpec) parse(catalog *Catalog, fail func(key, format string, args ...any)) *Hours {
	h := &Hours{closed: map[string]bool{}, Away: hs.Away, AwayReply: hs.AwayReply}
	var err error
	if hs.Timezone == "" {
		fail("timezone", "missing: the business's IANA time zone, e.g. Europe/Berlin")
	} else if h.loc, err = time.LoadLocation(hs.Timezone); err != nil {
		fail("timezone", "%q is not an IANA time zone (e.g. Europe/Berlin, America/Sao_Paulo)", hs.Timezone)
	}
	days := [7][]string{hs.Sunday, hs.Monday, hs.Tuesday, hs.Wednesday, hs.Thursday, hs.Friday, hs.Saturday} // by time.Weekday
	for day := time.Sunday; day <= time.Saturday; day++ {
		d := struct {
			key    string
			ranges []string
		}{strings.ToLower(day.String()), days[day]}
		for _, r := range d.ranges {
			s, err := parseSpan(r)
			if err != nil {
				fail(d.key, "%q: %v; expected a range such as \"09:00-18:00\" (or \"22:00-02:00\" past midnight)", r, err)
				continue
			}
			h.week[day] = append(h.week[day], s)
		}
		sort.Slice(h.week[day], func(i, j int) bool { return h.week[day][i].start < h.week[day][j].start })
	}
	for _, d := range hs.Closed {
		if _, err := time.Parse(time.DateOnly, d); err != nil {
			fail("closed", "%q is not a date; expected YYYY-MM-DD", d)
			continue
		}
		h.closed[d] = true
	}
	switch h.Away {
	case "":
		h.Away = AwayNewSenders
	case AwayNewSenders, AwayEveryone:
	default:
		fail("away", "%q: expected %q (the rules decide, with open = false) or %q (known senders get an away reply too)", h.Away, AwayNewSenders, AwayEveryone)
	}
	if h.AwayReply == "" {
		h.AwayReply = MsgAway
	}
	if !catalog.Has(catalog.DefaultLocale(), h.AwayReply) {
		fail("away_reply", "message %q is not in the default locale %q", h.AwayReply, catalog.DefaultLocale())
	}
	return h
}

// parseSpan reads "HH:MM-HH:MM"; an end before the start is on the next
// day, and "24:00" is the day's end.
func parseSpan(s string) (span, error) {
	from, to, ok := strings.Cut(strings.ReplaceAll(s, " ", ""), "-")
	if !ok {
		return span{}, fmt.Errorf("no '-'")
	}
	a, err := parseClock(from)
	if err != nil {
		return span{}, err
	}
	b, err := parseClock(to)
	if err != nil {
		return span{}, err
	}
	if a == b {
		return span{}, fmt.Errorf("an empty range")
	}
	if b < a {
		b += 24 * 60
	}
	return span{a, b}, nil
}

func parseClock(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) || len(mm) != 2 {
		return 0, fmt.Errorf("%q is not a time of day (HH:MM)", s)
	}
	return h*60 + m, nil
}

// at is the wall-clock time minutes after the midnight of day (a date in
// the business's zone): the hour and minute as written, on that date, by
// the zone's rules (a time in a summer-time gap moves past it).
func (h *Hours) at(day time.Time, minutes int) time.Time {
	d := day.AddDate(0, 0, minutes/(24*60))
	m := minutes % (24 * 60)
	return time.Date(d.Year(), d.Month(), d.Day(), m/60, m%60, 0, 0, h.loc)
}

// date is the midnight of t's day in the business's zone.
func (h *Hours) date(t time.Time) time.Time {
	t = t.In(h.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.loc)
}

// Open reports whether the business is open at t: in a range of t's day,
// or of the day before that runs past midnight, on a day not closed.
func (h *Hours) Open(t time.Time) bool {
	today := h.date(t)
	for _, back := range []int{0, -1} {
		day := today.AddDate(0, 0, back)
		if h.closed[day.Format(time.DateOnly)] {
			continue
		}
		for _, s := range h.week[day.Weekday()] {
			if !t.Before(h.at(day, s.start)) && t.Before(h.at(day, s.end)) {
				return true
			}
		}
	}
	return false
}

// NextOpen returns t when the business is open at t, else when it opens
// next (within a year and a bit), or the zero time if it never does.
func (h *Hours) NextOpen(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	today := h.date(t)
	for i := range 400 {
		day := today.AddDate(0, 0, i)
		if h.closed[day.Format(time.DateOnly)] {
			continue
		}
		for _, s := range h.week[day.Weekday()] {
			if start := h.at(day, s.start); start.After(t) {
				return start
			}
		}
	}
	return time.Time{}
}

// OpenBetween returns how much of the time from from to to the business
// is open: a customer who wrote at 21:00 and was answered at 09:05 the
// next open day waited 5 minutes.
func (h *Hours) OpenBetween(from, to time.Time) time.Duration {
	open, _ := h.walkOpen(from, to, math.MaxInt64)
	return open
}

// AddOpen returns when d of open time has passed since from: a reminder
// 15 minutes after a message at 21:00 is due at 09:15 the next open day.
// It returns the zero time if the business never opens.
func (h *Hours) AddOpen(from time.Time, d time.Duration) time.Time {
	if open, at := h.walkOpen(from, time.Time{}, d); open == d {
		return at
	}
	return time.Time{}
}

// walkOpen walks the open time from from, minute by minute (opening hours
// are whole minutes) and over closed time at once, until limit of it has
// passed or end (the zero time: none) is reached; it returns the open
// time walked and where it stopped.
func (h *Hours) walkOpen(from, end time.Time, limit time.Duration) (open time.Duration, at time.Time) {
	for at = from; open < limit && (end.IsZero() || at.Before(end)); {
		if !h.Open(at) {
			next := h.NextOpen(at)
			if next.IsZero() || (!end.IsZero() && !next.Before(end)) {
				break
			}
			at = next
			continue
		}
		step := min(time.Minute-time.Duration(at.Second())*time.Second-time.Duration(at.Nanosecond()), limit-open)
		if !end.IsZero() {
			step = min(step, end.Sub(at))
		}
		open += step
		at = at.Add(step)
	}
	return open, at
}

// Location is the business's time zone.
func (h *Hours) Location() *time.Location { return h.loc }

// openAt says whether the business is open when msg was written (else
// when received), and when it opens next; open without [hours].
func (b *Bot) openAt(msg *greenapi.MessageNotification, received time.Time) (at time.Time, open bool, next time.Time) {
	at = received
	if msg.Timestamp != 0 {
		at = time.Unix(msg.Timestamp, 0)
	}
	h := b.rules.Hours
	if h == nil {
		return at, true, time.Time{}
	}
	if h.Open(at) {
		return at, true, time.Time{}
	}
	return at, false, h.NextOpen(at)
}

// nextOpenText says when the business opens next, in locale and in its
// time zone ("on Monday at 09:00"), from the locale's weekdays and
// next_open.
func (b *Bot) nextOpenText(locale string, next time.Time) string {
	if next.IsZero() || b.rules.Hours == nil {
		return ""
	}
	next = next.In(b.rules.Hours.Location())
	weekday := next.Weekday().String()
	if list, err := b.catalog.Localize(locale, MsgWeekdays, TemplateData{}, 0); err == nil {
		if days := strings.Split(list, ","); len(days) == 7 {
			weekday = strings.TrimSpace(days[next.Weekday()])
		}
	}
	text, err := b.catalog.Localize(locale, MsgNextOpen, TemplateData{Weekday: weekday, Time: next.Format("15:04")}, 0)
	if err != nil {
		return weekday + " " + next.Format("15:04")
	}
	return text
}

// openText says whether the business is open, for a trace.
func openText(open bool, at, next time.Time, h *Hours) string {
	if open {
		return "open at " + at.In(h.Location()).Format("Mon 15:04 MST")
	}
	if next.IsZero() {
		return "closed at " + at.In(h.Location()).Format("Mon 15:04 MST") + ", no opening ahead"
	}
	return "closed at " + at.In(h.Location()).Format("Mon 15:04 MST") + ", opens " + next.In(h.Location()).Format("Mon 2006-01-02 15:04")
}

// awayReply answers a known sender who writes while the business is
// closed, once per closed period, when the [hours] say away = "everyone".
// Like every automatic message, it is recorded before it is sent; the
// chat's away_until, set once it went out, keeps the period's other
// messages from a second one (a chat's messages are handled in order).
// While open it costs no read.
func (b *Bot) awayReply(ctx context.Context, msg *greenapi.MessageNotification, st ChatState, at time.Time) error {
	h := b.rules.Hours
	if h == nil || h.Away != AwayEveryone || h.Open(at) || at.Before(st.AwayUntil) {
		return nil
	}
	next := h.NextOpen(at)
	if next.IsZero() {
		return nil
	}
	chatID := msg.SenderData.ChatID
	ref := &FirstContact{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: msg.IDMessage}
	log := b.log.With("chat", chatID, "idMessage", msg.IDMessage)
	rec, created, err := b.recordOnce(ctx, chatID, msg.IDMessage, MsgAway, func() (*Outgoing, error) {
		if why := b.silenced(st); why != "" {
			b.metrics.Conversation("skipped_" + why)
			b.trace(ref, "skipped", "no away reply: %s", skippedText(why))
			return nil, nil
		}
		locale := b.knownLocale(msg, st)
		text, err := b.catalog.RenderReply(locale, h.AwayReply, TemplateData{NextOpen: b.nextOpenText(locale, next)})
		if err != nil {
			return nil, fmt.Errorf("%w: rendering the away reply %q in %s: %v", queue.ErrPermanent, h.AwayReply, locale, err)
		}
		return &Outgoing{To: chatID, Text: text}, nil
	})
	if err != nil || rec.Kind == "" {
		return err
	}
	if created {
		b.metrics.Conversation("away")
	}
	if !rec.Out.Sent() {
		gaveUp, err := b.deliverRecorded(ctx, &rec, "away", log)
		if err != nil {
			return err
		}
		if gaveUp == "" {
			b.trace(ref, "away", "the business is closed: away reply sent (%s)", rec.Out.ID)
		}
	}
	return b.store.SetAwayUntil(ctx, b.cfg.Instance, chatID, next)
}
