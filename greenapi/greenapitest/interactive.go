package greenapitest

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/frontdesk-bot/frontdesk/greenapi"
)

// RefuseInteractive makes every call to sendPoll and
// sendInteractiveButtonsReply answer status with Green API's error body,
// as when the beta is off for the account, the method is unknown (404) or
// the instance's settings refuse it (400); 0 serves them again.
func (s *Server) RefuseInteractive(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range []string{greenapi.MethodSendPoll, greenapi.MethodSendButtons} {
		if status == 0 {
			delete(s.refused, m)
		} else {
			s.refused[m] = status
		}
	}
}

func (s *Server) refusal(method string) (int, any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	status, ok := s.refused[method]
	if !ok {
		return 0, nil, false
	}
	return status, map[string]string{"message": fmt.Sprintf("%s is not available for this instance", method)}, true
}

// sendPoll answers sendPoll as documented: chatId, a message (the
// question) of at most 255 characters and 2 to 12 distinct options of at
// most 100 characters each. The poll is kept in the chat's history
// (typeMessage pollMessage) and echoed as outgoingAPIMessageReceived.
func (s *Server) sendPoll(_ *http.Request, body []byte, _ string) (int, any) {
	if status, answer, ok := s.refusal(greenapi.MethodSendPoll); ok {
		return status, answer
	}
	var p greenapi.SendPollParams
	if err := json.Unmarshal(body, &p); err != nil || p.ChatID == "" || p.Message == "" {
		return http.StatusBadRequest, map[string]string{"message": "chatId, message and options are required"}
	}
	if len([]rune(p.Message)) > greenapi.MaxPollQuestionLength {
		return http.StatusBadRequest, map[string]string{"message": "message length exceeds 255 characters"}
	}
	if n := len(p.Options); n < greenapi.MinPollOptions || n > greenapi.MaxPollOptions {
		return http.StatusBadRequest, map[string]string{"message": "the number of options must be from 2 to 12"}
	}
	var names []string
	seen := map[string]bool{}
	for _, o := range p.Options {
		if o.OptionName == "" || len([]rune(o.OptionName)) > greenapi.MaxPollOptionLength {
			return http.StatusBadRequest, map[string]string{"message": "optionName must be 1 to 100 characters"}
		}
		if seen[o.OptionName] {
			return http.StatusBadRequest, map[string]string{"message": "options must be different from each other"}
		}
		seen[o.OptionName] = true
		names = append(names, o.OptionName)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.acceptLocked(SentMessage{ChatID: p.ChatID, Message: p.Message, Poll: names})
	poll := &greenapi.PollMessage{Name: p.Message, MultipleAnswers: p.MultipleAnswers}
	for _, n := range names {
		poll.Options = append(poll.Options, greenapi.PollOption{OptionName: n})
	}
	s.history[p.ChatID] = append(s.history[p.ChatID], greenapi.HistoryMessage{
		Type: "outgoing", IDMessage: msg.IDMessage, Timestamp: msg.At.Unix(), TypeMessage: "pollMessage",
		ChatID: p.ChatID, SendByAPI: true, PollMessageData: poll,
	})
	s.enqueueLocked(echo(s.IDInstance, msg, map[string]any{"typeMessage": "pollMessage", "pollMessageData": poll}))
	s.changed.Broadcast()
	return http.StatusOK, map[string]string{"idMessage": msg.IDMessage}
}

// sendButtons answers sendInteractiveButtonsReply as documented: chatId, a
// body and 1 to 3 buttons, each with an id and a text of at most 25
// characters. The message is kept in the chat's history (typeMessage
// interactiveButtons) and echoed as outgoingAPIMessageReceived.
func (s *Server) sendButtons(_ *http.Request, body []byte, _ string) (int, any) {
	if status, answer, ok := s.refusal(greenapi.MethodSendButtons); ok {
		return status, answer
	}
	var p greenapi.SendButtonsParams
	if err := json.Unmarshal(body, &p); err != nil || p.ChatID == "" || p.Body == "" {
		return http.StatusBadRequest, map[string]string{"message": "chatId, body and buttons are required"}
	}
	if n := len(p.Buttons); n == 0 || n > greenapi.MaxButtons {
		return http.StatusBadRequest, map[string]string{"message": "there can be no more than 3 buttons"}
	}
	var texts, ids []string
	for _, b := range p.Buttons {
		if b.ButtonID == "" || b.ButtonText == "" || len([]rune(b.ButtonText)) > greenapi.MaxButtonTextLength {
			return http.StatusBadRequest, map[string]string{"message": "buttonId and a buttonText of at most 25 characters are required"}
		}
		texts, ids = append(texts, b.ButtonText), append(ids, b.ButtonID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	msg := s.acceptLocked(SentMessage{ChatID: p.ChatID, Message: p.Body, Buttons: texts, ButtonIDs: ids})
	buttons := &greenapi.ButtonsMessage{Type: "interactiveButtons", TitleText: p.Header, ContentText: p.Body, FooterText: p.Footer}
	s.history[p.ChatID] = append(s.history[p.ChatID], greenapi.HistoryMessage{
		Type: "outgoing", IDMessage: msg.IDMessage, Timestamp: msg.At.Unix(), TypeMessage: "interactiveButtons",
		ChatID: p.ChatID, SendByAPI: true, InteractiveButtons: buttons,
	})
	var list []map[string]string
	for _, b := range p.Buttons {
		list = append(list, map[string]string{"type": "reply", "buttonId": b.ButtonID, "buttonText": b.ButtonText})
	}
	s.enqueueLocked(echo(s.IDInstance, msg, map[string]any{"typeMessage": "interactiveButtons", "interactiveButtons": map[string]any{
		"titleText": p.Header, "contentText": p.Body, "footerText": p.Footer, "buttons": list}}))
	s.changed.Broadcast()
	return http.StatusOK, map[string]string{"idMessage": msg.IDMessage}
}

// echo is the outgoingAPIMessageReceived notification of msg, with
// messageData data.
func echo(idInstance string, msg SentMessage, data map[string]any) []byte {
	return mustJSON(map[string]any{
		"typeWebhook":  greenapi.TypeOutgoingAPIMessageReceived,
		"instanceData": instanceData(idInstance),
		"timestamp":    msg.At.Unix(),
		"idMessage":    msg.IDMessage,
		"senderData":   greenapi.SenderData{ChatID: msg.ChatID, Sender: AccountWid, SenderName: "Frontdesk"},
		"messageData":  data,
	})
}

// Votes is the messageData of a vote in the poll stanzaID (its question
// name and options) after which voter has chosen the options chosen (their
// indexes; none takes every vote back): as Green API sends it, the whole
// state of the poll, every option with its voters.
func Votes(stanzaID, name string, options []string, voter string, chosen ...int) map[string]any {
	votes := make([]map[string]any, len(options))
	for i, o := range options {
		voters := []string{}
		for _, c := range chosen {
			if c == i {
				voters = append(voters, voter)
			}
		}
		votes[i] = map[string]any{"optionName": o, "optionVoters": voters}
	}
	return map[string]any{"typeMessage": "pollUpdateMessage", "pollMessageData": map[string]any{
		"stanzaId": stanzaID, "name": name, "votes": votes, "multipleAnswers": false}}
}

// ButtonShapes are the typeMessages a button tap arrives as, by device.
var ButtonShapes = []string{"interactiveButtonsResponse", "templateButtonsReplyMessage", "templateButtonReplyMessage"}

// Vote has the sender of chatID vote in the poll msg sent (chosen: the
// options' indexes; none takes the vote back) and returns the vote's
// Incoming, to write.
func Vote(msg SentMessage, chosen ...int) Incoming {
	return Incoming{ChatID: msg.ChatID, Data: Votes(msg.IDMessage, msg.Message, msg.Poll, msg.ChatID, chosen...)}
}

// Tap has the sender of chatID tap the button index (from 0) of the
// buttons msg sent, in the shape typeMessage (one of ButtonShapes), and
// returns its Incoming, to write.
func Tap(msg SentMessage, typeMessage string, index int) Incoming {
	return Incoming{ChatID: msg.ChatID, Data: ButtonReply(typeMessage, msg.IDMessage, index, msg.ButtonIDs[index], msg.Buttons[index])}
}
