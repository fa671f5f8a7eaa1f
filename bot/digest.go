package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/queue"
)

// The daily digest (digest_at in the rules file): once a day, at that
// time of the business's day, the operators' chat (OPERATOR_CHAT_ID) gets
// the day's figures of its number: how many first contacts, how many a
// person answered and the median wait, and who is still waiting. One
// notification of the operators' chat a day (digest:<date>), stored by the
// replica that leads the "digests" duty: the inbox's unique key keeps it
// once across replicas; the message is recorded before it is sent.

// MsgDigest is the digest's message id: .Count the day's first contacts
// (plural), .Answered how many a person answered, .Minutes the median wait,
// .Waiting the contacts still waiting, one a line ("" none).
const MsgDigest = "digest"

// TypeDigestDue is the typeWebhook of the notification that a day's
// digest is due.
const TypeDigestDue = "frontdeskDigestDue"

// DigestPrefix starts the idMessage of a digest's notification; the day
// (2006-01-02, in the business's zone) follows.
const DigestPrefix = "digest:"

// DigestSweepEvery is how often the leader of the "digests" duty looks
// whether a number's digest is due.
const DigestSweepEvery = 30 * time.Second

// digestWaitingShown is how many waiting contacts a digest lists.
const digestWaitingShown = 10

// Digest is when the daily digest goes: At minutes after midnight, in Loc
// (the [hours] table's zone, else UTC).
type Digest struct {
	At  int
	Loc *time.Location
}

// parseDigest reads digest_at ("18:00").
func parseDigest(v string, hours *Hours, fail func(key, format string, args ...any)) *Digest {
	if v == "" {
		return nil
	}
	t, err := time.Parse("15:04", v)
	if err != nil {
		fail("digest_at", "%q: expected a time of day, HH:MM, such as 18:00", v)
		return nil
	}
	d := &Digest{At: t.Hour()*60 + t.Minute(), Loc: time.UTC}
	if hours != nil {
		d.Loc = hours.Location()
	}
	return d
}

// String says when the digest goes, for frontdesk check.
func (d *Digest) String() string {
	return fmt.Sprintf("daily at %02d:%02d (%s)", d.At/60, d.At%60, d.Loc)
}

// DigestDue returns the notification of today's digest of b's number once
// its time has passed today (in the digest's zone); false without
// digest_at or OPERATOR_CHAT_ID, or before the time.
func (b *Bot) DigestDue(now time.Time) (queue.Notification, bool) {
	d := b.rules.Digest
	if d == nil || b.cfg.OperatorChatID == "" {
		return queue.Notification{}, false
	}
	local := now.In(d.Loc)
	if local.Hour()*60+local.Minute() < d.At {
		return queue.Notification{}, false
	}
	day := local.Format(time.DateOnly)
	body, _ := json.Marshal(ownBody{TypeWebhook: TypeDigestDue, Kind: "digest", ChatID: b.cfg.OperatorChatID, IDMessage: day})
	return queue.Notification{Instance: b.cfg.Instance, ChatID: b.cfg.OperatorChatID, IDMessage: DigestPrefix + day, TypeWebhook: TypeDigestDue,
		Body: body, ReceivedAt: now}, true
}

// SendDueDigests stores, through inbox, the notification of each of bots'
// digests that is due now and not stored yet; it returns how many it
// stored.
func SendDueDigests(ctx context.Context, inbox Enqueuer, bots []*Bot, now time.Time) (int, error) {
	stored := 0
	for _, b := range bots {
		n, due := b.DigestDue(now)
		if !due {
			continue
		}
		added, err := inbox.Add(ctx, n)
		if err != nil {
			return stored, err
		}
		if added {
			stored++
		}
	}
	return stored, nil
}

// RunDigests calls SendDueDigests every DigestSweepEvery until ctx ends;
// one replica runs it (queue.Lead "digests").
func RunDigests(ctx context.Context, inbox Enqueuer, bots func() []*Bot, log *slog.Logger) {
	sweepEvery(ctx, DigestSweepEvery, "looking for digests that are due failed; will look again", log, func(now time.Time) error {
		_, err := SendDueDigests(ctx, inbox, bots(), now)
		return err
	})
}

// digestDue sends the digest a TypeDigestDue notification names, once:
// its figures are read and its text recorded before it is sent.
func (b *Bot) digestDue(ctx context.Context, n queue.Notification) error {
	var body ownBody
	if err := json.Unmarshal(n.Body, &body); err != nil {
		return fmt.Errorf("%w: %s: %v", queue.ErrPermanent, n.TypeWebhook, err)
	}
	day, err := time.Parse(time.DateOnly, body.IDMessage)
	if err != nil {
		return fmt.Errorf("%w: %s: day %q: %v", queue.ErrPermanent, n.TypeWebhook, body.IDMessage, err)
	}
	log := b.log.With("chat", n.ChatID, "day", body.IDMessage)
	sent, err := b.sendOnce(ctx, n.ChatID, n.IDMessage, MsgDigest, func() (*Outgoing, error) {
		text, err := b.digestText(ctx, day)
		if err != nil {
			return nil, err
		}
		return &Outgoing{To: n.ChatID, Text: text}, nil
	}, log)
	if err != nil || sent == "" {
		return err
	}
	b.metrics.Conversation("digest")
	log.Info("the daily digest went to the operators")
	return nil
}

// digestText renders the digest of day (its date, in the digest's zone):
// the first contacts since its midnight.
func (b *Bot) digestText(ctx context.Context, day time.Time) (string, error) {
	loc := b.rules.Digest.Loc
	midnight := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, loc)
	f, err := b.store.DayFigures(ctx, b.cfg.Instance, midnight, digestWaitingShown)
	if err != nil {
		return "", err
	}
	data := TemplateData{Count: f.Contacts, Answered: len(f.Answered)}
	if len(f.Answered) > 0 {
		waits := slices.Clone(f.Answered)
		slices.Sort(waits)
		data.Minutes = int(math.Round(waits[(len(waits)-1)/2].Minutes()))
	}
	var lines []string
	for _, fc := range f.Waiting {
		at := fc.firstMessageAt().In(loc)
		when := at.Format("15:04")
		if at.Before(midnight) {
			when = at.Format("2006-01-02 15:04")
		}
		who := fc.ChatID
		if digits, ok := greenapi.PhoneOf(fc.ChatID); ok {
			_, who = RegionOf(digits)
		}
		line := "• " + when + " " + who
		if fc.Claim.By != "" {
			line += " (" + fc.Claim.By + ")"
		}
		lines = append(lines, line)
	}
	if more := f.WaitingTotal - len(f.Waiting); more > 0 {
		lines = append(lines, "• … +"+strconv.Itoa(more))
	}
	data.Waiting = strings.Join(lines, "\n")
	text, err := b.catalog.Localize(b.cfg.OperatorLocale, MsgDigest, data, data.Count)
	if err != nil {
		return "", fmt.Errorf("%w: rendering the digest: %v", queue.ErrPermanent, err)
	}
	return truncate(text, greenapi.MaxMessageLength), nil
}
