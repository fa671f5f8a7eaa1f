package greenapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// Incoming describes a message someone writes to the account.
type Incoming struct {
	ChatID            string
	Sender            string // defaults to ChatID
	SenderName        string
	SenderContactName string
	// SenderPhoneNumber, for an `…@lid` chat, is the sender's number as
	// senderData.senderPhoneNumber carries it: a JSON number, as Green
	// API's examples write it, or a string with PhoneAsString; "" leaves
	// the field out, as when WhatsApp gives no number.
	SenderPhoneNumber string
	PhoneAsString     bool
	Text              string
	IDMessage         string // generated when empty
	Time              time.Time
	// Data, if set, is the notification's messageData instead of a text
	// message (Text is then unused): an edit, a deletion, a reaction, a
	// poll vote or a button reply, as Edited, Deleted, Reaction, PollVote
	// and ButtonReply build them from Green API's documented bodies.
	Data map[string]any
}

// Edited is the messageData of an edit of message stanzaID to text.
func Edited(stanzaID, text string) map[string]any {
	return map[string]any{"typeMessage": "editedMessage",
		"editedMessageData": map[string]any{"textMessage": text, "stanzaId": stanzaID}}
}

// Deleted is the messageData of the deletion of message stanzaID.
func Deleted(stanzaID string) map[string]any {
	return map[string]any{"typeMessage": "deletedMessage", "deletedMessageData": map[string]any{"stanzaId": stanzaID}}
}

// Reaction is the messageData of a reaction with emoji to message stanzaID,
// written by participant.
func Reaction(stanzaID, participant, emoji string) map[string]any {
	return map[string]any{"typeMessage": "reactionMessage", "extendedTextMessageData": map[string]any{"text": emoji},
		"quotedMessage": map[string]any{"stanzaId": stanzaID, "participant": participant}}
}

// Quote is the messageData of a reply with text that quotes message
// stanzaID, written by participant (the quoted message's author), whose
// text was quotedText: typeMessage quotedMessage, as documented.
func Quote(stanzaID, participant, quotedText, text string) map[string]any {
	return map[string]any{"typeMessage": "quotedMessage",
		"extendedTextMessageData": map[string]any{"text": text, "stanzaId": stanzaID, "participant": participant},
		"quotedMessage":           map[string]any{"stanzaId": stanzaID, "participant": participant, "typeMessage": "textMessage", "textMessage": quotedText}}
}

// PollVote is the messageData of voter's vote for option chosen of the
// poll stanzaID (its name and options).
func PollVote(stanzaID, name string, options []string, chosen int, voter string) map[string]any {
	votes := make([]map[string]any, len(options))
	for i, o := range options {
		voters := []string{}
		if i == chosen {
			voters = append(voters, voter)
		}
		votes[i] = map[string]any{"optionName": o, "optionVoters": voters}
	}
	return map[string]any{"typeMessage": "pollUpdateMessage", "pollMessageData": map[string]any{
		"stanzaId": stanzaID, "name": name, "votes": votes, "multipleAnswers": false}}
}

// ButtonReply is the messageData of the press of the button index (its id
// and text) under message stanzaID; typeMessage is templateButtonsReplyMessage,
// templateButtonReplyMessage or interactiveButtonsResponse, as documented.
func ButtonReply(typeMessage, stanzaID string, index int, id, text string) map[string]any {
	key := "templateButtonReplyMessage"
	if typeMessage == "interactiveButtonsResponse" {
		key = typeMessage
	}
	return map[string]any{"typeMessage": typeMessage, key: map[string]any{
		"stanzaId": stanzaID, "selectedIndex": index, "selectedId": id, "selectedDisplayText": text}}
}

// PushIncoming queues an incomingMessageReceived notification, as the real
// account does when someone writes, and returns its idMessage.
func (s *Server) PushIncoming(in Incoming) string {
	id, body := s.NewIncoming(in)
	s.Push(body)
	return id
}

// NewIncoming records an incoming message in the chat's history and returns
// its idMessage and its notification body, without queueing it: for tests
// that hand the body to the code under test themselves.
func (s *Server) NewIncoming(in Incoming) (string, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.IDMessage == "" {
		in.IDMessage = fmt.Sprintf("3EB0%016X", s.nextID)
		s.nextID++
	}
	if in.Sender == "" {
		in.Sender = in.ChatID
	}
	if in.Time.IsZero() {
		in.Time = time.Now()
	}
	sender := senderData(in)
	if in.Data != nil {
		// An edit, a deletion, a reaction or an answer: not kept in the
		// fake's chat history, which only the settling of Frontdesk's own
		// sends reads.
		return in.IDMessage, mustJSON(map[string]any{
			"typeWebhook":  greenapi.TypeIncomingMessageReceived,
			"instanceData": instanceData(s.IDInstance),
			"timestamp":    in.Time.Unix(),
			"idMessage":    in.IDMessage,
			"senderData":   sender,
			"messageData":  in.Data,
		})
	}
	s.history[in.ChatID] = append(s.history[in.ChatID], greenapi.HistoryMessage{
		Type: "incoming", IDMessage: in.IDMessage, Timestamp: in.Time.Unix(),
		TypeMessage: "textMessage", ChatID: in.ChatID, TextMessage: in.Text,
	})
	return in.IDMessage, messageNotification(greenapi.TypeIncomingMessageReceived, s.IDInstance, in.Time, in.IDMessage, sender, in.Text)
}

// PushOutgoing queues an outgoingMessageReceived notification, as when the
// business writes to chatID from its phone, and returns its idMessage.
func (s *Server) PushOutgoing(chatID, text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := fmt.Sprintf("3EB1%016X", s.nextID)
	s.nextID++
	now := time.Now()
	s.history[chatID] = append(s.history[chatID], greenapi.HistoryMessage{
		Type: "outgoing", IDMessage: id, Timestamp: now.Unix(), TypeMessage: "textMessage", ChatID: chatID, TextMessage: text,
	})
	s.enqueueLocked(messageNotification(greenapi.TypeOutgoingMessageReceived, s.IDInstance, now, id,
		greenapi.SenderData{ChatID: chatID, Sender: AccountWid, SenderName: "Business"}, text))
	return id
}

// The statuses of an incoming call, as Green API documents them: offer
// when it rings, then one of the others when it ends (CallHungUp is the
// spelling of the call scenarios' list, CallHangUp the parameter's).
const (
	CallOffer    = "offer"
	CallPickUp   = "pickUp"
	CallHangUp   = "hangUp"
	CallHungUp   = "hungUp"
	CallMissed   = "missed"
	CallDeclined = "declined"
)

// PhoneCall describes a WhatsApp call someone makes to the account.
type PhoneCall struct {
	From      string // the caller's chat id
	IDMessage string // the call's id, the same in each of its statuses; generated when empty
	Time      time.Time
}

// PushCall queues an incomingCall notification of call in each status, in
// turn (offer, then how it ended), as the real account does when someone
// calls, and returns the call's idMessage.
func (s *Server) PushCall(call PhoneCall, statuses ...string) string {
	id, bodies := s.NewCall(call, statuses...)
	for _, body := range bodies {
		s.Push(body)
	}
	return id
}

// NewCall returns the call's idMessage and its incomingCall notification
// bodies, one per status, without queueing them.
func (s *Server) NewCall(call PhoneCall, statuses ...string) (string, [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if call.IDMessage == "" {
		call.IDMessage = fmt.Sprintf("0CC5%016X", s.nextID)
		s.nextID++
	}
	if call.Time.IsZero() {
		call.Time = time.Now()
	}
	bodies := make([][]byte, 0, len(statuses))
	for _, status := range statuses {
		bodies = append(bodies, mustJSON(map[string]any{
			"from":         call.From,
			"typeWebhook":  greenapi.TypeIncomingCall,
			"instanceData": instanceData(s.IDInstance),
			"status":       status,
			"timestamp":    call.Time.Unix(),
			"idMessage":    call.IDMessage,
		}))
	}
	return call.IDMessage, bodies
}

// Push queues a raw notification body.
func (s *Server) Push(body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueueLocked(append([]byte(nil), body...))
}

// QueueLen returns how many notifications wait to be received or delivered.
func (s *Server) QueueLen() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.queue)
}

// WaitQueueEmpty waits until every queued notification was deleted or
// delivered, and reports whether that happened before timeout.
func (s *Server) WaitQueueEmpty(timeout time.Duration) bool {
	return s.waitFor(timeout, func() bool { return len(s.queue) == 0 })
}

func (s *Server) enqueueLocked(body []byte) {
	s.queue = append(s.queue, queued{receiptID: s.nextID, body: body})
	s.nextID++
	s.changed.Broadcast()
}

// senderData is in's senderData, with senderPhoneNumber written as a
// number (or a string) when in has one.
func senderData(in Incoming) any {
	sender := greenapi.SenderData{ChatID: in.ChatID, ChatName: in.SenderName, Sender: in.Sender,
		SenderName: in.SenderName, SenderContactName: in.SenderContactName}
	if in.SenderPhoneNumber == "" {
		return sender
	}
	var phone any = json.Number(in.SenderPhoneNumber)
	if in.PhoneAsString {
		phone = in.SenderPhoneNumber
	}
	return map[string]any{"chatId": sender.ChatID, "chatName": sender.ChatName, "sender": sender.Sender,
		"senderName": sender.SenderName, "senderContactName": sender.SenderContactName, "senderPhoneNumber": phone}
}

func messageNotification(typeWebhook, idInstance string, at time.Time, idMessage string, sender any, text string) []byte {
	return mustJSON(map[string]any{
		"typeWebhook":  typeWebhook,
		"instanceData": instanceData(idInstance),
		"timestamp":    at.Unix(),
		"idMessage":    idMessage,
		"senderData":   sender,
		"messageData": map[string]any{
			"typeMessage":     "textMessage",
			"textMessageData": map[string]string{"textMessage": text},
		},
	})
}

// receiveNotification answers the head of the queue, waiting up to
// receiveTimeout seconds for one; the head stays until deleted.
func (s *Server) receiveNotification(r *http.Request, _ []byte, _ string) (int, any) {
	timeout := 5
	if v := r.URL.Query().Get("receiveTimeout"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 {
			timeout = n
		}
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(timeout)*time.Second)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.changed.Broadcast()
		s.mu.Unlock()
	})
	defer stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	for len(s.queue) == 0 && ctx.Err() == nil && !s.closed {
		s.changed.Wait()
	}
	if len(s.queue) == 0 {
		return http.StatusOK, nil
	}
	head := s.queue[0]
	return http.StatusOK, map[string]any{"receiptId": head.receiptID, "body": json.RawMessage(head.body)}
}

func (s *Server) deleteNotification(r *http.Request, _ []byte, rest string) (int, any) {
	if r.Method != http.MethodDelete {
		return http.StatusMethodNotAllowed, map[string]string{"message": "use DELETE"}
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return http.StatusBadRequest, map[string]string{"message": "receiptId is required"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, q := range s.queue {
		if q.receiptID == id {
			s.queue = append(s.queue[:i:i], s.queue[i+1:]...)
			s.changed.Broadcast()
			return http.StatusOK, map[string]bool{"result": true}
		}
	}
	return http.StatusOK, map[string]bool{"result": false}
}

// Delivery is one webhook POST the server made.
type Delivery struct {
	ReceiptID int64
	Status    int // 0 when the request failed
	At        time.Time
}

type delivery struct {
	cancel   context.CancelFunc
	done     chan struct{}
	mu       sync.Mutex
	attempts []Delivery
}

func (d *delivery) stop() {
	d.cancel()
	<-d.done
}

// DeliverWebhooks starts delivering the queue to url as Green API does: one
// notification at a time and in order, with Authorization: Bearer token; on
// anything but 200 (or no answer within timeout) it waits retryDelay and
// sends the same notification again. The real API waits 60 s and 180 s.
func (s *Server) DeliverWebhooks(url, token string, retryDelay, timeout time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	d := &delivery{cancel: cancel, done: make(chan struct{})}
	s.mu.Lock()
	s.delivery = d
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.changed.Broadcast()
		s.mu.Unlock()
	})
	client := &http.Client{Timeout: timeout}
	go func() {
		defer close(d.done)
		defer stop()
		for {
			s.mu.Lock()
			for len(s.queue) == 0 && ctx.Err() == nil {
				s.changed.Wait()
			}
			if ctx.Err() != nil {
				s.mu.Unlock()
				return
			}
			head := s.queue[0]
			s.mu.Unlock()

			status := post(ctx, client, url, token, head.body)
			d.mu.Lock()
			d.attempts = append(d.attempts, Delivery{ReceiptID: head.receiptID, Status: status, At: time.Now()})
			d.mu.Unlock()
			if status == http.StatusOK {
				s.mu.Lock()
				if len(s.queue) > 0 && s.queue[0].receiptID == head.receiptID {
					s.queue = s.queue[1:]
				}
				s.changed.Broadcast()
				s.mu.Unlock()
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(retryDelay):
			}
		}
	}()
}

func post(ctx context.Context, client *http.Client, url, token string, body []byte) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Deliveries returns every webhook POST made so far.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	d := s.delivery
	s.mu.Unlock()
	if d == nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]Delivery(nil), d.attempts...)
}
