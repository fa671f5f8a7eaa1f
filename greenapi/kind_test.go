package greenapi

import (
	"reflect"
	"testing"
)

// TestMessageKinds reads every documented message body that is not a plain
// message: what it is (Kind), its readable text, and its typed data.
func TestMessageKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		kind MessageKind
		text string
		want Message // the typed data; nil: not compared
	}{
		{"current_incomingMessageReceived_textMessage.json", KindMessage, "Hello! This is a text message.", nil},
		{"current_incomingMessageReceived_documentMessage.json", KindMessage, "", nil},
		{"current_incomingMessageReceived_locationMessage.json", KindMessage, "", nil},
		{"current_outgoingAPIMessageReceived_contactMessage.json", KindMessage, "", nil},
		{"current_incomingMessageReceived_interactiveButtons.json", KindMessage, "", nil},
		{"2023_incomingMessageReceived_groupInviteMessage.json", KindMessage, "", nil},
		{"current_incomingMessageReceived_pollMessage.json", KindMessage, "",
			&PollMessage{Name: "Poll Name", Options: []PollOption{{"Variant 1"}, {"Variant 2"}}}},
		{"2023_incomingMessageReceived_pollMessage.json", KindMessage, "",
			&PollMessage{Name: "Poll Name", Options: []PollOption{{"Variant 1"}, {"Variant 2"}}}},

		{"current_incomingMessageReceived_editedMessage.json", KindEvent, "New message",
			&EditedMessage{Text: "New message", StanzaID: "BAE5AFC355030F7A"}},
		{"current_incomingMessageReceived_deletedMessage.json", KindEvent, "",
			&DeletedMessage{StanzaID: "84514217EF972039FC3F68A53C196306"}},
		{"current_outgoingMessageReceived_deletedMessage.json", KindEvent, "",
			&DeletedMessage{StanzaID: "84514217EF972039FC3F68A53C196306"}},
		{"current_incomingMessageReceived_reactionMessage.json", KindEvent, "", &ReactionMessage{Emoji: "👍"}},
		{"current_outgoingMessageReceived_reactionMessage.json", KindEvent, "", nil},
		{"2023_incomingMessageReceived_reactionMessage.json", KindEvent, "", nil},

		{"current_incomingMessageReceived_pollUpdateMessage.json", KindAnswer, "",
			&PollUpdateMessage{StanzaID: "BAE53AFDD5F0C000", Name: "Poll Name",
				Votes: []PollVote{{"Variant 1", []string{}}, {"Variant 2", []string{"79001234568@c.us"}}}}},
		{"current_incomingMessageReceived_buttonsResponseMessage.json", KindAnswer, "Green",
			&ButtonsResponseMessage{StanzaID: "BAE53AFDD5F0C137", SelectedButtonID: "1", SelectedButtonText: "Green"}},
		{"current_incomingMessageReceived_templateButtonsReplyMessage.json", KindAnswer, "First Button",
			&TemplateButtonsReplyMessage{Type: "templateButtonsReplyMessage", StanzaID: "BAE5BBB8415CF1AA", SelectedIndex: 0, SelectedID: "1", SelectedDisplayText: "First Button"}},
		{"current_incomingMessageReceived_templateButtonReplyMessage.json", KindAnswer, "red",
			&TemplateButtonsReplyMessage{Type: "templateButtonReplyMessage", StanzaID: "BAE53AFDD5F0C137", SelectedIndex: 2, SelectedID: "id1", SelectedDisplayText: "red"}},
		{"current_outgoingMessageReceived_interactiveButtonsResponse.json", KindAnswer, "Second Button",
			&TemplateButtonsReplyMessage{Type: "interactiveButtonsResponse", StanzaID: "BAE5FB1FDA0E58E8", SelectedIndex: 1, SelectedID: "2", SelectedDisplayText: "Second Button"}},
		{"2023_incomingMessageReceived_listResponseMessage.json", KindAnswer, "Option 2",
			&ListResponseMessage{StanzaID: "BAE53AFDD5F0C137", Title: "Option 2", ListType: 1, SingleSelectReply: "option2"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			n, err := ParseNotification(readTestdata(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			m, ok := MessageOf(n)
			if !ok {
				t.Fatalf("%T is not a message notification", n)
			}
			if got := m.MessageData.Kind(); got != tt.kind {
				t.Errorf("Kind = %s, want %s", got, tt.kind)
			}
			if text, _ := MessageText(m.MessageData.Message); text != tt.text {
				t.Errorf("MessageText = %q, want %q", text, tt.text)
			}
			if tt.want != nil && !reflect.DeepEqual(m.MessageData.Message, tt.want) {
				t.Errorf("parsed %#v\nwant %#v", m.MessageData.Message, tt.want)
			}
		})
	}
}

// TestEveryRegisteredMessageTypeHasAKind names the kind of every typeMessage
// the registry knows, so that a type added later is classified on purpose.
func TestEveryRegisteredMessageTypeHasAKind(t *testing.T) {
	t.Parallel()
	answers := map[string]bool{"buttonsResponseMessage": true, "templateButtonsReplyMessage": true, "templateButtonReplyMessage": true,
		"interactiveButtonsResponse": true, "listResponseMessage": true, "pollUpdateMessage": true}
	events := map[string]bool{"editedMessage": true, "deletedMessage": true, "reactionMessage": true}
	for _, typ := range MessageTypes() {
		d := MessageData{Type: typ, Message: messageTypes[typ].new(typ)}
		want := KindMessage
		switch {
		case answers[typ]:
			want = KindAnswer
		case events[typ]:
			want = KindEvent
		}
		if got := d.Kind(); got != want {
			t.Errorf("%s: Kind = %s, want %s", typ, got, want)
		}
	}
}

func TestSelectedIndexAsStringOrNumber(t *testing.T) {
	t.Parallel()
	for _, idx := range []string{`2`, `"2"`, `null`} {
		body := `{"typeWebhook":"incomingMessageReceived","idMessage":"X","senderData":{"chatId":"1@c.us"},"messageData":{"typeMessage":"templateButtonReplyMessage","templateButtonReplyMessage":{"selectedIndex":` + idx + `,"selectedDisplayText":"red"}}}`
		n, err := ParseNotification([]byte(body))
		if err != nil {
			t.Errorf("selectedIndex %s: %v", idx, err)
			continue
		}
		m, _ := MessageOf(n)
		want := Index(2)
		if idx == `null` {
			want = 0
		}
		if got := m.MessageData.Message.(*TemplateButtonsReplyMessage).SelectedIndex; got != want {
			t.Errorf("selectedIndex %s read as %d", idx, got)
		}
	}
}
