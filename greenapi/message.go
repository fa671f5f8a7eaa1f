package greenapi

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Message is the typed content of a message notification: one of the
// pointer types below, or *UnknownMessage.
type Message interface {
	// TypeMessage returns the message type as Green API spells it.
	TypeMessage() string
}

// MessageData is a notification's messageData: its type and its typed content.
type MessageData struct {
	Type    string
	Message Message
	// Quoted is the message this one replies to, if any.
	Quoted *Quoted
}

// Quoted is the message a reply or reaction refers to.
type Quoted struct {
	StanzaID    string `json:"stanzaId"`
	Participant string `json:"participant"`
	TypeMessage string `json:"typeMessage"`
	TextMessage string `json:"textMessage"`
}

// TextMessage is plain text (typeMessage textMessage).
type TextMessage struct {
	Text string `json:"textMessage"`
}

// ExtendedTextMessage is text with a link preview (extendedTextMessage), or
// the text of a reply (quotedMessage).
type ExtendedTextMessage struct {
	Type        string `json:"-"`
	Text        string `json:"text"`
	Description string `json:"description"`
	Title       string `json:"title"`
	StanzaID    string `json:"stanzaId"`
	Participant string `json:"participant"`
}

// ReactionMessage is an emoji reaction to an earlier message: the message
// is MessageData.Quoted; an empty Emoji takes a reaction back.
type ReactionMessage struct {
	Emoji string `json:"text"`
}

// EditedMessage is an edit of an earlier message (StanzaID): Text is its
// new text. The notification's idMessage names the edit, not the message.
type EditedMessage struct {
	Text     string `json:"textMessage"`
	StanzaID string `json:"stanzaId"`
}

// DeletedMessage is the deletion of an earlier message (StanzaID) for
// everyone. The notification's idMessage names the deletion.
type DeletedMessage struct {
	StanzaID string `json:"stanzaId"`
}

// PollOption is one option of a poll.
type PollOption struct {
	OptionName string `json:"optionName"`
}

// PollVote is one option of a poll and who chose it.
type PollVote struct {
	OptionName   string   `json:"optionName"`
	OptionVoters []string `json:"optionVoters"`
}

// PollUpdateMessage is a vote in a poll (StanzaID): the poll's state after
// the vote, every option with its voters.
type PollUpdateMessage struct {
	StanzaID        string     `json:"stanzaId"`
	Name            string     `json:"name"`
	Votes           []PollVote `json:"votes"`
	MultipleAnswers bool       `json:"multipleAnswers"`
}

// FileMessage is an image, video, audio, document or sticker.
type FileMessage struct {
	Type        string `json:"-"`
	DownloadURL string `json:"downloadUrl"`
	Caption     string `json:"caption"`
	FileName    string `json:"fileName"`
	MimeType    string `json:"mimeType"`
	IsAnimated  bool   `json:"isAnimated"`
}

// LocationMessage is a shared location.
type LocationMessage struct {
	NameLocation string  `json:"nameLocation"`
	Address      string  `json:"address"`
	Latitude     float64 `json:"latitude"`
	Longitude    float64 `json:"longitude"`
}

// ContactMessage is a shared contact card.
type ContactMessage struct {
	DisplayName string `json:"displayName"`
	VCard       string `json:"vcard"`
}

// ContactsArrayMessage is several shared contact cards.
type ContactsArrayMessage struct {
	Contacts []ContactMessage `json:"contacts"`
}

// PollMessage is a poll.
type PollMessage struct {
	Name                   string       `json:"name"`
	Options                []PollOption `json:"options"`
	MultipleAnswers        bool         `json:"multipleAnswers"`
	SelectableOptionsCount int          `json:"selectableOptionsCount"`
}

// ButtonsResponseMessage is the press of a button.
type ButtonsResponseMessage struct {
	StanzaID           string `json:"stanzaId"`
	SelectedButtonID   string `json:"selectedButtonId"`
	SelectedButtonText string `json:"selectedButtonText"`
}

// ListResponseMessage is a choice from a list.
type ListResponseMessage struct {
	StanzaID          string `json:"stanzaId"`
	Title             string `json:"title"`
	ListType          int    `json:"listType"`
	SingleSelectReply string `json:"singleSelectReply"`
}

// TemplateButtonsReplyMessage is the press of a template or interactive
// button: typeMessage templateButtonsReplyMessage or
// templateButtonReplyMessage (both spellings are documented), or
// interactiveButtonsResponse.
type TemplateButtonsReplyMessage struct {
	Type                string `json:"-"`
	StanzaID            string `json:"stanzaId"`
	SelectedIndex       Index  `json:"selectedIndex"`
	SelectedID          string `json:"selectedId"`
	SelectedDisplayText string `json:"selectedDisplayText"`
}

// Index is a button's position. Green API's tables call selectedIndex a
// string while its examples send a number: both are read.
type Index int

// UnmarshalJSON reads a number, a string holding one, or null.
func (i *Index) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		*i = 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("selectedIndex %s is not a number", b)
	}
	*i = Index(n)
	return nil
}

// ButtonsMessage is a message with buttons (buttonsMessage, interactiveButtons
// or templateMessage).
type ButtonsMessage struct {
	Type        string `json:"-"`
	TitleText   string `json:"titleText"`
	ContentText string `json:"contentText"`
	Footer      string `json:"footer"`
	FooterText  string `json:"footerText"`
}

// GroupInviteMessage is an invitation to a group.
type GroupInviteMessage struct {
	GroupJid   string `json:"groupJid"`
	InviteCode string `json:"inviteCode"`
	GroupName  string `json:"groupName"`
	Caption    string `json:"caption"`
}

// UnknownMessage is a message whose typeMessage this package does not know.
// It keeps the raw messageData.
type UnknownMessage struct {
	Type string
	Raw  json.RawMessage
}

// TypeMessage implements Message.
func (*TextMessage) TypeMessage() string { return "textMessage" }

// TypeMessage implements Message.
func (m *ExtendedTextMessage) TypeMessage() string { return m.Type }

// TypeMessage implements Message.
func (*ReactionMessage) TypeMessage() string { return "reactionMessage" }

// TypeMessage implements Message.
func (m *FileMessage) TypeMessage() string { return m.Type }

// TypeMessage implements Message.
func (*LocationMessage) TypeMessage() string { return "locationMessage" }

// TypeMessage implements Message.
func (*ContactMessage) TypeMessage() string { return "contactMessage" }

// TypeMessage implements Message.
func (*ContactsArrayMessage) TypeMessage() string { return "contactsArrayMessage" }

// TypeMessage implements Message.
func (*EditedMessage) TypeMessage() string { return "editedMessage" }

// TypeMessage implements Message.
func (*DeletedMessage) TypeMessage() string { return "deletedMessage" }

// TypeMessage implements Message.
func (*PollMessage) TypeMessage() string { return "pollMessage" }

// TypeMessage implements Message.
func (*PollUpdateMessage) TypeMessage() string { return "pollUpdateMessage" }

// TypeMessage implements Message.
func (*ButtonsResponseMessage) TypeMessage() string { return "buttonsResponseMessage" }

// TypeMessage implements Message.
func (*ListResponseMessage) TypeMessage() string { return "listResponseMessage" }

// TypeMessage implements Message.
func (m *TemplateButtonsReplyMessage) TypeMessage() string { return m.Type }

// TypeMessage implements Message.
func (m *ButtonsMessage) TypeMessage() string { return m.Type }

// TypeMessage implements Message.
func (*GroupInviteMessage) TypeMessage() string { return "groupInviteMessage" }

// TypeMessage implements Message.
func (m *UnknownMessage) TypeMessage() string { return m.Type }

// messageType says where a typeMessage keeps its content and what it parses into.
type messageType struct {
	// keys are the messageData keys that may hold the content, first found wins.
	keys []string
	new  func(typeMessage string) Message
}

// messageTypes is the single registry of message types.
var messageTypes = map[string]messageType{
	"textMessage":                 {[]string{"textMessageData"}, func(string) Message { return new(TextMessage) }},
	"extendedTextMessage":         {[]string{"extendedTextMessageData"}, func(t string) Message { return &ExtendedTextMessage{Type: t} }},
	"quotedMessage":               {[]string{"extendedTextMessageData"}, func(t string) Message { return &ExtendedTextMessage{Type: t} }},
	"reactionMessage":             {[]string{"extendedTextMessageData"}, func(string) Message { return new(ReactionMessage) }},
	"editedMessage":               {[]string{"editedMessageData"}, func(string) Message { return new(EditedMessage) }},
	"deletedMessage":              {[]string{"deletedMessageData"}, func(string) Message { return new(DeletedMessage) }},
	"imageMessage":                {[]string{"fileMessageData"}, newFileMessage},
	"videoMessage":                {[]string{"fileMessageData"}, newFileMessage},
	"audioMessage":                {[]string{"fileMessageData"}, newFileMessage},
	"documentMessage":             {[]string{"fileMessageData"}, newFileMessage},
	"stickerMessage":              {[]string{"fileMessageData"}, newFileMessage},
	"locationMessage":             {[]string{"locationMessageData"}, func(string) Message { return new(LocationMessage) }},
	"contactMessage":              {[]string{"contactMessageData"}, func(string) Message { return new(ContactMessage) }},
	"contactsArrayMessage":        {[]string{"messageData", "contactsArrayMessageData"}, func(string) Message { return new(ContactsArrayMessage) }},
	"pollMessage":                 {[]string{"pollMessageData", "pollCreationMessage"}, func(string) Message { return new(PollMessage) }},
	"pollUpdateMessage":           {[]string{"pollMessageData"}, func(string) Message { return new(PollUpdateMessage) }},
	"buttonsResponseMessage":      {[]string{"buttonsResponseMessage"}, func(string) Message { return new(ButtonsResponseMessage) }},
	"listResponseMessage":         {[]string{"listResponseMessage"}, func(string) Message { return new(ListResponseMessage) }},
	"templateButtonsReplyMessage": {[]string{"templateButtonReplyMessage", "templateButtonsReplyMessage"}, newButtonReply},
	"templateButtonReplyMessage":  {[]string{"templateButtonReplyMessage", "templateButtonsReplyMessage"}, newButtonReply},
	"interactiveButtonsResponse":  {[]string{"interactiveButtonsResponse"}, newButtonReply},
	"buttonsMessage":              {[]string{"buttonsMessage"}, newButtonsMessage},
	"interactiveButtons":          {[]string{"interactiveButtons"}, newButtonsMessage},
	"interactiveButtonsReply":     {[]string{"interactiveButtonsReply", "interactiveButtons"}, newButtonsMessage},
	"templateMessage":             {[]string{"templateMessage"}, newButtonsMessage},
	"groupInviteMessage":          {[]string{"groupInviteMessageData"}, func(string) Message { return new(GroupInviteMessage) }},
}

func newFileMessage(t string) Message    { return &FileMessage{Type: t} }
func newButtonsMessage(t string) Message { return &ButtonsMessage{Type: t} }
func newButtonReply(t string) Message    { return &TemplateButtonsReplyMessage{Type: t} }

// MessageTypes lists every typeMessage that the parser knows.
func MessageTypes() []string {
	types := make([]string, 0, len(messageTypes))
	for t := range messageTypes {
		types = append(types, t)
	}
	return types
}

// UnmarshalJSON parses messageData into its typed content through the
// registry; an unknown typeMessage becomes *UnknownMessage.
func (d *MessageData) UnmarshalJSON(b []byte) error {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return err
	}
	if raw, ok := fields["typeMessage"]; ok {
		if err := json.Unmarshal(raw, &d.Type); err != nil {
			return fmt.Errorf("typeMessage: %w", err)
		}
	}
	if raw, ok := fields["quotedMessage"]; ok && string(raw) != "null" {
		d.Quoted = new(Quoted)
		if err := json.Unmarshal(raw, d.Quoted); err != nil {
			return fmt.Errorf("quotedMessage: %w", err)
		}
	}
	mt, ok := messageTypes[d.Type]
	if !ok {
		d.Message = &UnknownMessage{Type: d.Type, Raw: append(json.RawMessage(nil), b...)}
		return nil
	}
	d.Message = mt.new(d.Type)
	for _, key := range mt.keys {
		raw, ok := fields[key]
		if !ok || string(raw) == "null" {
			continue
		}
		if err := json.Unmarshal(raw, d.Message); err != nil {
			return fmt.Errorf("%s.%s: %w", d.Type, key, err)
		}
		break
	}
	return nil
}

// MessageText returns the text a person typed in a message: a text, an
// extended text, a reply, a media caption, an edit's new text, or the label
// of a pressed button or chosen list item. The boolean is false for a
// message without text (a reaction, a deletion, a poll vote among them).
func MessageText(m Message) (string, bool) {
	var text string
	switch m := m.(type) {
	case *TextMessage:
		text = m.Text
	case *ExtendedTextMessage:
		text = m.Text
	case *FileMessage:
		text = m.Caption
	case *EditedMessage:
		text = m.Text
	case *ButtonsResponseMessage:
		text = m.SelectedButtonText
	case *ListResponseMessage:
		text = m.Title
	case *TemplateButtonsReplyMessage:
		text = m.SelectedDisplayText
	}
	return text, text != ""
}

// ChatIDOf reads a phone number in any common spelling ("+49 151 234-5678",
// "00491512345678") or a chat id ("491512345678@c.us", "…@lid") and returns
// the personal chat id.
func ChatIDOf(s string) (string, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		if strings.HasSuffix(s, suffixLID) && !IsLID(s) {
			return "", fmt.Errorf("%q is not an @lid chat id: expected digits@lid (e.g. 120650379300963@lid)", s)
		}
		if !IsPersonalChat(s) {
			return "", fmt.Errorf("%q is not a personal chat id: expected digits@c.us (or an @lid id)", s)
		}
		return s, nil
	}
	digits := strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9':
			return r
		case r == '+' || r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			return -1
		}
		return 'x'
	}, s)
	digits = strings.TrimPrefix(digits, "00")
	if strings.Contains(digits, "x") || len(digits) < minPhoneDigits || len(digits) > maxPhoneDigits {
		return "", fmt.Errorf("%q is not a phone number in international form (e.g. +49 151 2345678) nor a chat id (e.g. 491512345678@c.us)", s)
	}
	return digits + "@c.us", nil
}
