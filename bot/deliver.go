package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/pacing"
)

// Outgoing is one automatic message and how far it got. It is recorded
// before each step, so that a crash or an ambiguous error never sends it
// twice.
type Outgoing struct {
	To   string // the chat it goes to
	Text string // "" for no message; a file's caption
	// FileURL, if set, sends the file at this link (sendFileByUrl), named
	// FileName, with Text as its caption.
	FileURL  string
	FileName string
	// TypingMS shows "typing…" for this many milliseconds before it; 0 none.
	TypingMS int
	// Attempted is set before the first sendMessage: when it is set and ID
	// is empty, the outcome is unknown and is settled by reading the chat's
	// history before any resend.
	Attempted bool
	ID        string // the id Green API gave the message, once it went out
	// Style, MenuPoll or MenuButtons, sends Text as a poll's question or
	// the text above buttons, with Options as the poll's options or the
	// buttons' texts (their ids are their numbers from 1); Fallback is the
	// numbered text that goes in its place if Green API refuses it for
	// good. "" for a text or a file.
	Style    string
	Options  []string
	Fallback string
}

// Sent reports whether the message went out.
func (o Outgoing) Sent() bool { return o.ID != "" }

// delivery is one automatic message to deliver: out, recorded by save
// with the record it belongs to, which began at since; kind names it in
// the logs and the metrics (reply, summary, …), ref in the trace.
type delivery struct {
	out   *Outgoing
	kind  string
	since time.Time
	save  func(context.Context) error
	ref   *FirstContact
	// refused, if set, is set when the send itself was refused for good:
	// nothing went out, and the chat's history showed no earlier attempt.
	refused *bool
}

// deliver sends out once; kind names it in the logs and the metrics
// (reply, summary, …). save records out's progress durably, with the
// record it belongs to, which began at since (the chat's history is
// searched from then). When an earlier attempt's outcome is unknown, it
// first looks for the message in the chat's history. It returns why, when
// Green API refused the message for good: it is then never retried.
func (b *Bot) deliver(ctx context.Context, d delivery, log *slog.Logger) (gaveUp string, err error) {
	out, kind, since, save := d.out, d.kind, d.since, d.save
	if out.ID != "" || (out.Text == "" && out.FileURL == "") {
		return "", nil
	}
	if out.Attempted {
		found, err := b.findSent(ctx, *out, since)
		if err != nil && !errors.Is(err, pacing.ErrPaused) && !retryable(err) {
			// The history cannot be read, now or later: resending could
			// send twice, so the message is given up.
			return b.giveUp(kind, err, log), nil
		}
		if err != nil {
			return "", fmt.Errorf("settling an earlier %s attempt: %w", kind, err)
		}
		if found != "" {
			log.Info("an earlier attempt had been sent; not sending again", "kind", kind, "sent", found)
			b.trace(d.ref, "history", "an earlier attempt of the %s had been sent (%s, found in the chat's history): not sending again", kind, found)
			out.ID = found
			return "", save(ctx)
		}
		b.trace(d.ref, "history", "an earlier attempt of the %s is not in the chat's history: sending it again", kind)
	}
	before := out.Attempted
	out.Attempted = true
	if err := save(ctx); err != nil {
		return "", err
	}
	var sent string
	switch {
	case out.Style == MenuPoll:
		p := greenapi.SendPollParams{ChatID: out.To, Message: out.Text}
		for _, o := range out.Options {
			p.Options = append(p.Options, greenapi.PollOptionName{OptionName: o})
		}
		sent, err = b.api.SendPoll(ctx, p)
	case out.Style == MenuButtons:
		p := greenapi.SendButtonsParams{ChatID: out.To, Body: out.Text}
		for i, o := range out.Options {
			p.Buttons = append(p.Buttons, greenapi.Button{ButtonID: strconv.Itoa(i + 1), ButtonText: o})
		}
		sent, err = b.api.SendButtons(ctx, p)
	case out.FileURL != "":
		sent, err = b.api.SendFileByURL(ctx, greenapi.SendFileParams{ChatID: out.To, URLFile: out.FileURL, FileName: out.FileName,
			Caption: out.Text, TypingTime: out.TypingMS})
	default:
		sent, err = b.api.SendMessage(ctx, greenapi.SendMessageParams{ChatID: out.To, Message: out.Text, TypingTime: out.TypingMS})
	}
	if notSent(err) {
		// Nothing was sent: the next try needs no look at the history.
		out.Attempted = before
		if saveErr := save(ctx); saveErr != nil {
			return "", saveErr
		}
	}
	if err != nil && !errors.Is(err, pacing.ErrPaused) && !retryable(err) {
		if d.refused != nil && notSent(err) {
			*d.refused = true
		}
		return b.giveUp(kind, err, log), nil
	}
	if err != nil {
		return "", fmt.Errorf("sending the %s: %w", kind, err)
	}
	out.ID = sent
	b.metrics.MessageSent(kind)
	return "", save(ctx)
}

// recordOnce returns the record of the automatic message of kind that the
// chat's message idMessage caused (ChatMessage). The first time, create
// gives the message, and it is recorded before anything is sent; a nil
// message records nothing, and the record returned has no Kind. created
// says it was recorded now.
func (b *Bot) recordOnce(ctx context.Context, chatID, idMessage, kind string, create func() (*Outgoing, error)) (rec ChatMessage, created bool, err error) {
	rec, err = b.store.GetChatMessage(ctx, b.cfg.Instance, chatID, idMessage, kind)
	if !errors.Is(err, ErrNotFound) {
		return rec, false, err
	}
	out, err := create()
	if err != nil || out == nil {
		return ChatMessage{}, false, err
	}
	rec = ChatMessage{Instance: b.cfg.Instance, ChatID: chatID, IDMessage: idMessage, Kind: kind, Out: *out, CreatedAt: b.Now()}
	return rec, true, b.store.SaveChatMessage(ctx, rec)
}

// sendOnce records (recordOnce) and sends (deliverRecorded) the automatic
// message of kind that the chat's message idMessage caused, once; it
// returns the id Green API gave it if it went out now, and "" when create
// gave none, when it had gone out before, or when Green API refused it for
// good.
func (b *Bot) sendOnce(ctx context.Context, chatID, idMessage, kind string, create func() (*Outgoing, error), log *slog.Logger) (sentID string, err error) {
	rec, _, err := b.recordOnce(ctx, chatID, idMessage, kind, create)
	if err != nil || rec.Kind == "" || rec.Out.Sent() {
		return "", err
	}
	if gaveUp, err := b.deliverRecorded(ctx, &rec, kind, log); err != nil || gaveUp != "" {
		return "", err
	}
	return rec.Out.ID, nil
}

// deliverRecorded sends the message of rec once (deliver), recording its
// progress in rec; kind names it in the logs and the metrics.
func (b *Bot) deliverRecorded(ctx context.Context, rec *ChatMessage, kind string, log *slog.Logger) (gaveUp string, err error) {
	return b.deliver(ctx, b.recorded(rec, kind), log)
}

// recorded is the delivery of rec's message.
func (b *Bot) recorded(rec *ChatMessage, kind string) delivery {
	save := func(ctx context.Context) error { return b.store.SaveChatMessage(ctx, *rec) }
	ref := &FirstContact{Instance: rec.Instance, ChatID: rec.ChatID, IDMessage: rec.IDMessage}
	return delivery{out: &rec.Out, kind: kind, since: rec.CreatedAt, save: save, ref: ref}
}

// giveUp says why Green API refused a message for good (a spent quota, a
// refused chat, an answer that breaks the contract), in the logs and the
// metrics; the caller records the outcome.
func (b *Bot) giveUp(kind string, err error, log *slog.Logger) string {
	reason := greenapi.ReasonOf(err)
	b.metrics.GaveUp(reason)
	log.Error("Green API refused the "+kind+" for good; giving up on it", "reason", reason, "kind_of_failure", greenapi.KindOf(err), "err", err)
	return reason
}

func notSent(err error) bool {
	return err != nil && (errors.Is(err, pacing.ErrPaused) || !greenapi.MaybeDone(err))
}

// historyDepths are how many of a chat's last messages findSent reads, in
// turn: most chats have few messages since an attempt, an operator group
// may have had hundreds; Green API keeps up to 5,000.
var historyDepths = []int{100, 1000, 5000}

// findSent looks for out among its chat's last outgoing messages since a
// moment (a minute of clock skew allowed): a text by its text, a file by
// its caption, or by its link when it has none, a poll by its question, a
// buttons message by its text. It returns its id. When
// the messages read do not reach back to that moment, it reads further.
func (b *Bot) findSent(ctx context.Context, out Outgoing, since time.Time) (string, error) {
	from := since.Add(-time.Minute).Unix()
	for _, depth := range historyDepths {
		history, err := b.api.GetChatHistory(ctx, out.To, depth)
		if err != nil {
			return "", err
		}
		for _, m := range history {
			if m.Type != "outgoing" || m.Timestamp < from {
				continue
			}
			switch {
			case out.Style != "":
				if sentMenu(out, m) {
					return m.IDMessage, nil
				}
			case out.FileURL == "" && m.TextMessage == out.Text,
				out.FileURL != "" && out.Text != "" && m.Caption == out.Text,
				out.FileURL != "" && out.Text == "" && m.DownloadURL == out.FileURL:
				return m.IDMessage, nil
			}
		}
		// The newest first: when the oldest read is before the moment, or
		// the chat has no more, the search is complete.
		if len(history) < depth || history[len(history)-1].Timestamp < from {
			break
		}
	}
	return "", nil
}
