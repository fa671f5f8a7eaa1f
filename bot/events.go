package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Event types, as the "type" of an event (schema/events.schema.json).
const (
	EventFirstContact    = "first_contact"
	EventGreenAPIProblem = "greenapi_problem"
	EventConversation    = "conversation"
)

// ConversationData is the data of a conversation event: what changed in a
// chat after its greeting.
type ConversationData struct {
	Event     string `json:"event"` // opted_out, opted_in, language_chosen, answered, reminded, escalated, claimed, call, rating
	IDMessage string `json:"id_message"`
	Locale    string `json:"locale,omitempty"`
	// WaitedSeconds (answered) is how long the customer waited for a
	// person, open hours only with [hours]; By is how the person wrote:
	// phone or api.
	WaitedSeconds float64 `json:"waited_seconds,omitempty"`
	By            string  `json:"by,omitempty"`
	// To (reminded, escalated) is the chat the reminder went to.
	To string `json:"to,omitempty"`
	// Operator (claimed) is who took the contact in the operators' chat,
	// as WhatsApp names them, and OperatorPhone their number.
	Operator      string `json:"operator,omitempty"`
	OperatorPhone string `json:"operator_phone,omitempty"`
	// Status (call) is how the call ended (hangUp, missed, declined);
	// FirstContact says it started a first contact (its summary went to
	// the operators as for a message), Replied that the caller was asked
	// to write (call_reply).
	Status       string `json:"status,omitempty"`
	FirstContact bool   `json:"first_contact,omitempty"`
	Replied      bool   `json:"replied,omitempty"`
	// Rating (rating) is the customer's rating of the answer, 1 to 5.
	Rating int `json:"rating,omitempty"`
}

// emitConversation keeps a conversation event in the outbox; its id comes
// from the instance, the chat, the message and the event, so that writing
// it again after a crash keeps one.
func (b *Bot) emitConversation(ctx context.Context, chatID string, data ConversationData, at time.Time) error {
	if !b.cfg.Events {
		return nil
	}
	sum := sha256.Sum256([]byte(EventConversation + "\x00" + b.cfg.Instance + "\x00" + chatID + "\x00" + data.IDMessage + "\x00" + data.Event))
	e := Event{ID: hex.EncodeToString(sum[:16]), Type: EventConversation, CreatedAt: at.UTC(), Instance: b.cfg.Instance, ChatID: chatID, Data: data}
	out, err := e.Outbox()
	if err != nil {
		return err
	}
	return b.store.AddEvent(ctx, out)
}

// Event is what Frontdesk tells the business's other systems: a JSON body
// POSTed to EVENTS_URL from the outbox.
type Event struct {
	// ID is unique; a receiver that keeps the ids it has seen handles each
	// event once however often it arrives.
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	// Instance is the idInstance of the WhatsApp number it tells of.
	Instance string `json:"instance,omitempty"`
	ChatID   string `json:"chat_id,omitempty"`
	Data     any    `json:"data"`
}

// FirstContactData is the data of a first_contact event: who wrote, what
// the rules decided, and what was sent.
type FirstContactData struct {
	IDMessage   string `json:"id_message"`
	Phone       string `json:"phone,omitempty"`
	Name        string `json:"name,omitempty"`
	Email       string `json:"email,omitempty"`
	Category    string `json:"category,omitempty"`
	Description string `json:"description,omitempty"`
	IsBusiness  bool   `json:"is_business"`
	Products    int    `json:"products"`
	Rule        string `json:"rule"`
	Tag         string `json:"tag"`
	Locale      string `json:"locale"`
	Replied     bool   `json:"replied"`
	Forwarded   bool   `json:"forwarded"`
	// Degraded says why the profile was not used, if it was not.
	Degraded string `json:"degraded,omitempty"`
	// GaveUp says why Green API refused a message for good, if it did.
	GaveUp string `json:"gave_up,omitempty"`
	// Skipped says why the greeting was not sent, if it was not.
	Skipped string `json:"skipped,omitempty"`
	// Choice is the id of the option chosen from the greeting's menu;
	// ChoiceTimedOut is set when the menu's wait ran out without one.
	Choice         string `json:"choice,omitempty"`
	ChoiceTimedOut bool   `json:"choice_timed_out,omitempty"`
	// ChoiceBy says how the choice was made: poll (a vote), button (a
	// tap), number or label (a reply).
	ChoiceBy string `json:"choice_by,omitempty"`
	// Answered is set when the chosen option's reply went out.
	Answered bool `json:"answered,omitempty"`
}

// GreenAPIProblemData is the data of a greenapi_problem event.
type GreenAPIProblemData struct {
	// Problem is quota_exceeded, unauthorized, forbidden or not_authorized.
	Problem string `json:"problem"`
	Method  string `json:"method,omitempty"`
	Detail  string `json:"detail"`
}

// NewEvent returns an event of type typ with a random id.
func NewEvent(typ, instance, chatID string, at time.Time, data any) Event {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return Event{ID: hex.EncodeToString(b[:]), Type: typ, CreatedAt: at.UTC(), Instance: instance, ChatID: chatID, Data: data}
}

// Outbox returns e as it waits in the outbox.
func (e Event) Outbox() (OutboxEvent, error) {
	body, err := json.Marshal(e)
	if err != nil {
		return OutboxEvent{}, fmt.Errorf("encoding event %s: %w", e.ID, err)
	}
	return OutboxEvent{ID: e.ID, Instance: e.Instance, ChatID: e.ChatID, Body: body, CreatedAt: e.CreatedAt}, nil
}

// emitFirstContact keeps the first_contact event of fc in the outbox. Its
// id comes from the instance, the chat and the message, so that writing it again after a
// crash keeps one.
func (b *Bot) emitFirstContact(ctx context.Context, fc *FirstContact, name string) error {
	if !b.cfg.Events {
		return nil
	}
	data := FirstContactData{IDMessage: fc.IDMessage, Rule: fc.Rule, Tag: fc.Tag, Locale: fc.Locale,
		Replied: fc.Reply.Sent(), Forwarded: fc.Summary.Sent(), Degraded: fc.Degraded, GaveUp: fc.gaveUp, Skipped: fc.Skipped,
		Name: name, Choice: fc.Choice, ChoiceBy: fc.ChoiceBy, ChoiceTimedOut: fc.ChoiceMsg != "" && fc.Choice == "", Answered: fc.Answer.Sent()}
	if digits, ok := greenapi.PhoneOf(fc.ChatID); ok {
		_, data.Phone = RegionOf(digits)
	}
	if p, err := b.store.GetProfile(ctx, fc.Instance, fc.ChatID); err == nil && fc.Degraded == "" {
		info := p.Info
		data.Name = firstNonEmpty(info.Name, data.Name)
		data.Email, data.Category, data.Description, data.IsBusiness = info.Email, info.Category, info.Description, info.IsBusiness
		for _, prod := range info.Products {
			if !prod.IsHidden {
				data.Products++
			}
		}
	}
	sum := sha256.Sum256([]byte(EventFirstContact + "\x00" + fc.Instance + "\x00" + fc.ChatID + "\x00" + fc.IDMessage))
	e := Event{ID: hex.EncodeToString(sum[:16]), Type: EventFirstContact, CreatedAt: fc.CreatedAt.UTC(),
		Instance: fc.Instance, ChatID: fc.ChatID, Data: data}
	out, err := e.Outbox()
	if err != nil {
		return err
	}
	return b.store.AddEvent(ctx, out)
}
