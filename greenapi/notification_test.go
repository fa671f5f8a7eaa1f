package greenapi

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseNotificationExamples(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file      string
		want      string // Go type name of the notification
		chatID    string
		sender    string
		idMessage string
		typeMsg   string
		text      string
	}{
		{"current_incomingMessageReceived_textMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "3EB063C771F28EB323FAE3", "textMessage", "Hello! This is a text message."},
		{"current_incomingMessageReceived_textMessage_docsite.json", "*greenapi.IncomingMessageReceived", "79001234568@c.us", "79001234568@c.us", "F7AEC1B7086ECDC7E6E45923F5EDB825", "textMessage", "I use GREEN-API to send this message to you!"},
		{"current_incomingMessageReceived_textMessage_SWE001.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "3AE2864C77312000000", "textMessage", "{{SWE001}}"},
		{"current_incomingMessageReceived_quotedMessage-textMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "165682394AEEFFB519B13DD51491DF65", "quotedMessage", "Quoting a text message"},
		{"current_incomingMessageReceived_documentMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "02392146E5104CE93C", "documentMessage", ""},
		{"current_incomingMessageReceived_locationMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "0C0F804DF9E9280268FE871321D393BD", "locationMessage", ""},
		{"current_incomingMessageReceived_reactionMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "135499D5547BEBD56EF2B28195659035", "reactionMessage", ""},
		{"current_incomingMessageReceived_buttonsResponseMessage.json", "*greenapi.IncomingMessageReceived", "79876543210@c.us", "79876543210@c.us", "9BB19BB0D568BA7B185EEAD21A33D317", "buttonsResponseMessage", "Green"},
		{"current_incomingMessageReceived_templateButtonsReplyMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "469B7C5BA12684DAA42F6FD6CC4364F3", "templateButtonsReplyMessage", "First Button"},
		{"current_incomingMessageReceived_interactiveButtons.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "BAE5BBB8415CF1AA", "interactiveButtons", ""},
		{"current_outgoingAPIMessageReceived_contactMessage.json", "*greenapi.OutgoingAPIMessageReceived", "71231234567@c.us", "71234567890@c.us", "E06893873B835B1A07", "contactMessage", ""},
		{"current_outgoingAPIMessageReceived_extendedTextMessage.json", "*greenapi.OutgoingAPIMessageReceived", "71231234567@c.us", "71234567890@c.us", "BACB52BE2EDD30CAD9", "extendedTextMessage", "https://green-api.com/docs/api/receiving/notifications-format/incoming-message/ExtendedTextMessage/"},
		{"current_outgoingAPIMessageReceived_videoMessage.json", "*greenapi.OutgoingAPIMessageReceived", "71231234567@c.us", "71234567890@c.us", "185B5DBAB29E36E19A8325F1F8A03B51", "videoMessage", ""},
		{"current_outgoingMessageReceived_imageMessage.json", "*greenapi.OutgoingMessageReceived", "71231234567@c.us", "71234567890@c.us", "B8C959F41DDF44C312053B420A16C217", "imageMessage", ""},
		{"current_outgoingMessageReceived_reactionMessage.json", "*greenapi.OutgoingMessageReceived", "71231234567@c.us", "71234567890@c.us", "135499D5547BEBD56EF2B28195659035", "reactionMessage", ""},
		{"current_outgoingMessageReceived_textMessage.json", "*greenapi.OutgoingMessageReceived", "71231234567@c.us", "71234567890@c.us", "3EB063C771F28EB323FAE3", "textMessage", "Hello! This is a text message."},
		{"current_incomingMessageReceived_deletedMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "10ECA1E0D26FAB972C24C56C8285ACAB", "deletedMessage", ""},
		{"current_outgoingMessageReceived_deletedMessage.json", "*greenapi.OutgoingMessageReceived", "71234567890@c.us", "71231234567@c.us", "10ECA1E0D26FAB9CAB", "deletedMessage", ""},
		{"current_incomingMessageReceived_editedMessage.json", "*greenapi.IncomingMessageReceived", "71234567890@c.us", "71234567890@c.us", "BAE597DC5CB134F7", "editedMessage", "New message"},
		{"current_incomingMessageReceived_pollMessage.json", "*greenapi.IncomingMessageReceived", "79001234568@c.us", "79001234568@c.us", "F7AEC1B7086ECDC7E6E45923F5EDB825", "pollMessage", ""},
		{"current_incomingMessageReceived_pollUpdateMessage.json", "*greenapi.IncomingMessageReceived", "79001234568@c.us", "79001234568@c.us", "F7AEC1B7086ECDC7E6E45923F5EDB825", "pollUpdateMessage", ""},
		{"current_incomingMessageReceived_templateButtonReplyMessage.json", "*greenapi.IncomingMessageReceived", "11001234567@c.us", "11001234567@c.us", "9BB19BB0D568BA7B185EEAD21A33D317", "templateButtonReplyMessage", "red"},
		{"current_outgoingMessageReceived_interactiveButtonsResponse.json", "*greenapi.OutgoingMessageReceived", "71234567890@c.us", "71234567890@c.us", "9EC825ACAB511DBFF27750DD0B4AFAE5", "interactiveButtonsResponse", "Second Button"},
		{"current_v3_incomingMessageReceived_contactMessage.json", "*greenapi.IncomingMessageReceived", "10000000", "10000000", "2755232962562", "contactMessage", ""},
		{"derived_incomingMessageReceived_textMessage_lid.json", "*greenapi.IncomingMessageReceived", "120650379300963@lid", "120650379300963@lid", "F7AEC1B7086ECDC7E6E45923F5EDB825", "textMessage", "I use GREEN-API to send this message to you!"},
		{"derived_incomingMessageReceived_textMessage_lid_nophone.json", "*greenapi.IncomingMessageReceived", "120650379300963@lid", "120650379300963@lid", "F7AEC1B7086ECDC7E6E45923F5EDB825", "textMessage", "I use GREEN-API to send this message to you!"},
		{"current_outgoingMessageStatus.json", "*greenapi.OutgoingMessageStatus", "", "", "", "", ""},
		{"current_stateInstanceChanged.json", "*greenapi.StateInstanceChanged", "", "", "", "", ""},
		{"current_statusInstanceChanged_deprecated.json", "*greenapi.StatusInstanceChanged", "", "", "", "", ""},
		{"current_incomingCall.json", "*greenapi.IncomingCall", "", "", "", "", ""},
		{"current_incomingBlock.json", "*greenapi.IncomingBlock", "", "", "", "", ""},
		{"current_quotaExceeded.json", "*greenapi.QuotaExceeded", "", "", "", "", ""},
		{"2023_deviceInfo.json", "*greenapi.DeviceInfo", "", "", "", "", ""},
		{"2023_incomingCall.json", "*greenapi.IncomingCall", "", "", "", "", ""},
		{"2023_outgoingMessageStatus.json", "*greenapi.OutgoingMessageStatus", "", "", "", "", ""},
		{"2023_stateInstanceChanged.json", "*greenapi.StateInstanceChanged", "", "", "", "", ""},
		{"2023_statusInstanceChanged.json", "*greenapi.StatusInstanceChanged", "", "", "", "", ""},
		{"2023_incomingMessageReceived_audioMessage.json", "*greenapi.IncomingMessageReceived", "79001234568@c.us", "79001234568@c.us", "", "audioMessage", ""},
		{"2023_incomingMessageReceived_audioMessage_2.json", "*greenapi.IncomingMessageReceived", "", "", "", "audioMessage", ""},
		{"2023_incomingMessageReceived_buttonsMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "buttonsMessage", ""},
		{"2023_incomingMessageReceived_buttonsResponseMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "buttonsResponseMessage", "Green"},
		{"2023_incomingMessageReceived_contactMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "contactMessage", ""},
		{"2023_incomingMessageReceived_contactMessage_2.json", "*greenapi.IncomingMessageReceived", "", "", "", "contactMessage", ""},
		{"2023_incomingMessageReceived_contactMessage_3.json", "*greenapi.IncomingMessageReceived", "", "", "", "contactMessage", ""},
		{"2023_incomingMessageReceived_contactMessage_4.json", "*greenapi.IncomingMessageReceived", "", "", "", "contactMessage", ""},
		{"2023_incomingMessageReceived_extendedTextMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "extendedTextMessage", "https://green-api.com/docs/video"},
		{"2023_incomingMessageReceived_groupInviteMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "groupInviteMessage", ""},
		{"2023_incomingMessageReceived_imageMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "imageMessage", "Image"},
		{"2023_incomingMessageReceived_imageMessage_2.json", "*greenapi.IncomingMessageReceived", "", "", "", "imageMessage", ""},
		{"2023_incomingMessageReceived_imageMessage_3.json", "*greenapi.IncomingMessageReceived", "", "", "", "imageMessage", ""},
		{"2023_incomingMessageReceived_listResponseMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "listResponseMessage", "Option 2"},
		{"2023_incomingMessageReceived_locationMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "locationMessage", ""},
		{"2023_incomingMessageReceived_locationMessage_2.json", "*greenapi.IncomingMessageReceived", "", "", "", "locationMessage", ""},
		{"2023_incomingMessageReceived_pollMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "pollMessage", ""},
		{"2023_incomingMessageReceived_quotedMessage-contactMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "https://yandex.ru/former&utm_source=home&utm_content=main_informer&utm_term=main_number"},
		{"2023_incomingMessageReceived_quotedMessage-contactMessage_2.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "Ответ"},
		{"2023_incomingMessageReceived_quotedMessage-extendedTextMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "Hello"},
		{"2023_incomingMessageReceived_quotedMessage-imageMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "https://yandex.ru/pogoda/?utm_medium=source=home&utm_content=main_informer&utm_term=main_number"},
		{"2023_incomingMessageReceived_quotedMessage-imageMessage_2.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "Ответ"},
		{"2023_incomingMessageReceived_quotedMessage-locationMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "Address"},
		{"2023_incomingMessageReceived_quotedMessage-textMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "Это"},
		{"2023_incomingMessageReceived_quotedMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "quotedMessage", "Quoting this"},
		{"2023_incomingMessageReceived_reactionMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "reactionMessage", ""},
		{"2023_incomingMessageReceived_stickerMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "stickerMessage", ""},
		{"2023_incomingMessageReceived_templateMessage.json", "*greenapi.IncomingMessageReceived", "", "", "", "templateMessage", ""},
		{"2023_incomingMessageReceived_textMessage.json", "*greenapi.IncomingMessageReceived", "79001234568@c.us", "79001234568@c.us", "F7AEC1B7086ECDC7E6E45923F5EDB825", "textMessage", "I use Green-API to send this message to you!"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			n, err := ParseNotification(readTestdata(t, tt.file))
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			if got := fmt.Sprintf("%T", n); got != tt.want {
				t.Fatalf("type = %s, want %s", got, tt.want)
			}
			if n.Head().InstanceData.IDInstance == 0 || (n.Head().Timestamp == 0 && tt.want != "*greenapi.QuotaExceeded") {
				t.Errorf("envelope not parsed: %+v", n.Head())
			}
			m, ok := MessageOf(n)
			if !ok {
				if tt.typeMsg != "" {
					t.Fatalf("MessageOf = false for a message notification")
				}
				return
			}
			if tt.chatID != "" && m.SenderData.ChatID != tt.chatID {
				t.Errorf("chatId = %q, want %q", m.SenderData.ChatID, tt.chatID)
			}
			if tt.sender != "" && m.SenderData.Sender != tt.sender {
				t.Errorf("sender = %q, want %q", m.SenderData.Sender, tt.sender)
			}
			if tt.idMessage != "" && m.IDMessage != tt.idMessage {
				t.Errorf("idMessage = %q, want %q", m.IDMessage, tt.idMessage)
			}
			if got := m.MessageData.Message.TypeMessage(); got != tt.typeMsg {
				t.Errorf("typeMessage = %q, want %q", got, tt.typeMsg)
			}
			if _, unknown := m.MessageData.Message.(*UnknownMessage); unknown {
				t.Errorf("message parsed as unknown")
			}
			text, ok := MessageText(m.MessageData.Message)
			if text != tt.text || ok != (tt.text != "") {
				t.Errorf("MessageText = %q, %v; want %q", text, ok, tt.text)
			}
		})
	}
}

// TestEveryExampleParses makes sure every shared example parses, including
// those the table above does not list.
func TestEveryExampleParses(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	parsed := 0
	for _, f := range files {
		b, _ := os.ReadFile(f)
		if !strings.Contains(string(b), `"typeWebhook"`) || strings.HasPrefix(filepath.Base(f), "2023_receiveNotification") {
			continue
		}
		n, err := ParseNotification(b)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if _, unknown := n.(*UnknownNotification); unknown {
			t.Errorf("%s: parsed as unknown", f)
		}
		parsed++
	}
	if parsed < 50 {
		t.Errorf("parsed %d examples, want every notification example (at least 50)", parsed)
	}
}

func TestEveryRegisteredTypeParses(t *testing.T) {
	t.Parallel()
	types := NotificationTypes()
	sort.Strings(types)
	for _, typ := range types {
		body := `{"typeWebhook":"` + typ + `","instanceData":{"idInstance":1},"timestamp":1,"idMessage":"X","senderData":{"chatId":"1@c.us"},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"hi"}}}`
		n, err := ParseNotification([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if n.Head().TypeWebhook != typ {
			t.Errorf("%s: TypeWebhook = %q", typ, n.Head().TypeWebhook)
		}
		if _, unknown := n.(*UnknownNotification); unknown {
			t.Errorf("%s: parsed as unknown", typ)
		}
	}
	msgTypes := MessageTypes()
	sort.Strings(msgTypes)
	for _, typ := range msgTypes {
		body := `{"typeWebhook":"incomingMessageReceived","idMessage":"X","senderData":{"chatId":"1@c.us"},"messageData":{"typeMessage":"` + typ + `"}}`
		n, err := ParseNotification([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		m, _ := MessageOf(n)
		if got := m.MessageData.Message.TypeMessage(); got != typ {
			t.Errorf("%s: TypeMessage = %q", typ, got)
		}
		if _, unknown := m.MessageData.Message.(*UnknownMessage); unknown {
			t.Errorf("%s: parsed as unknown", typ)
		}
	}
}

func TestParseNotificationUnknownKeepsRaw(t *testing.T) {
	t.Parallel()
	body := `{"typeWebhook":"somethingNew","instanceData":{"idInstance":7},"timestamp":5,"extra":[1,2]}`
	n, err := ParseNotification([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	u, ok := n.(*UnknownNotification)
	if !ok {
		t.Fatalf("got %T, want *UnknownNotification", n)
	}
	if string(u.Raw) != body || u.Head().InstanceData.IDInstance != 7 {
		t.Errorf("raw = %s, envelope = %+v", u.Raw, u.Head())
	}

	msg := `{"typeWebhook":"incomingMessageReceived","idMessage":"A","senderData":{"chatId":"1@c.us"},"messageData":{"typeMessage":"hologramMessage","hologramData":{"x":1}}}`
	n, err = ParseNotification([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := MessageOf(n)
	um, ok := m.MessageData.Message.(*UnknownMessage)
	if !ok || um.Type != "hologramMessage" || !strings.Contains(string(um.Raw), `"hologramData"`) {
		t.Errorf("got %#v, want an UnknownMessage keeping its raw data", m.MessageData.Message)
	}
}

func TestParseNotificationInvalid(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		``,
		`not json`,
		`[]`,
		`{}`,
		`{"typeWebhook":""}`,
		`{"typeWebhook":42}`,
		`{"typeWebhook":"incomingMessageReceived"}`,
		`{"typeWebhook":"incomingMessageReceived","idMessage":"A","senderData":{}}`,
		`{"typeWebhook":"incomingMessageReceived","idMessage":"A","senderData":{"chatId":"1@c.us"},"messageData":{"typeMessage":"textMessage","textMessageData":"oops"}}`,
	} {
		if _, err := ParseNotification([]byte(body)); !errors.Is(err, ErrInvalidNotification) {
			t.Errorf("ParseNotification(%q) error = %v, want ErrInvalidNotification", body, err)
		}
	}
}

func TestChatIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id       string
		personal bool
		group    bool
		phone    string
		lid      bool
	}{
		{"79001234567@c.us", true, false, "79001234567", false},
		{"123456789012345@lid", true, false, "", true},
		{"abc@lid", true, false, "", false},
		{"@lid", false, false, "", false},
		{"79001234567-1581234048@g.us", false, true, "", false},
		{"status@broadcast", false, false, "", false},
		{"120363043968066561@newsletter", false, false, "", false},
		{"@c.us", false, false, "", false},
		{"abc@c.us", true, false, "", false},
		{"", false, false, "", false},
	}
	for _, tt := range tests {
		if got := IsPersonalChat(tt.id); got != tt.personal {
			t.Errorf("IsPersonalChat(%q) = %v", tt.id, got)
		}
		if got := IsGroupChat(tt.id); got != tt.group {
			t.Errorf("IsGroupChat(%q) = %v", tt.id, got)
		}
		if got, _ := PhoneOf(tt.id); got != tt.phone {
			t.Errorf("PhoneOf(%q) = %q, want %q", tt.id, got, tt.phone)
		}
		if got := IsLID(tt.id); got != tt.lid {
			t.Errorf("IsLID(%q) = %v", tt.id, got)
		}
	}
}

// TestSenderPhone: the sender's number is an @c.us chat's own, or for an
// @lid chat the senderPhoneNumber beside it, written as a number (as
// documented) or a string; anything else gives no number, and never costs
// the message.
func TestSenderPhone(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, chatID, field string // field: senderPhoneNumber's JSON, "" for none
		want                string
	}{
		{"c.us chat", "491512345678@c.us", "", "491512345678"},
		{"c.us chat keeps its own number", "491512345678@c.us", `79991112233`, "491512345678"},
		{"lid with a number", "120650379300963@lid", `79991112233`, "79991112233"},
		{"lid with a string", "120650379300963@lid", `"79991112233"`, "79991112233"},
		{"lid with a plus", "120650379300963@lid", `"+79991112233"`, "79991112233"},
		{"lid with a chat id", "120650379300963@lid", `"79991112233@c.us"`, "79991112233"},
		{"lid without the field", "120650379300963@lid", "", ""},
		{"lid with null", "120650379300963@lid", `null`, ""},
		{"lid with an empty string", "120650379300963@lid", `""`, ""},
		{"lid with a short number", "120650379300963@lid", `12345`, ""},
		{"lid with a float", "120650379300963@lid", `7.9991112233e10`, ""},
		{"lid with letters", "120650379300963@lid", `"7999abc2233"`, ""},
		{"lid with an object", "120650379300963@lid", `{"n":1}`, ""},
		{"lid with a boolean", "120650379300963@lid", `true`, ""},
		{"group", "120363043968066561@g.us", `79991112233`, ""},
		{"v3 chat", "10000000", `79991112233`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			field := ""
			if tt.field != "" {
				field = `,"senderPhoneNumber":` + tt.field
			}
			body := `{"typeWebhook":"incomingMessageReceived","idMessage":"A","senderData":{"chatId":"` + tt.chatID + `"` + field +
				`},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"hi"}}}`
			n, err := ParseNotification([]byte(body))
			if err != nil {
				t.Fatalf("ParseNotification: %v", err)
			}
			m, _ := MessageOf(n)
			got, ok := m.SenderData.Phone()
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("Phone() = %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
	for file, want := range map[string]string{
		"derived_incomingMessageReceived_textMessage_lid.json":         "79001234568",
		"derived_incomingMessageReceived_textMessage_lid_nophone.json": "",
		"current_incomingMessageReceived_textMessage_docsite.json":     "79001234568",
	} {
		n, err := ParseNotification(readTestdata(t, file))
		if err != nil {
			t.Fatal(err)
		}
		m, _ := MessageOf(n)
		if got, _ := m.SenderData.Phone(); got != want {
			t.Errorf("%s: Phone() = %q, want %q", file, got, want)
		}
	}
	n, _ := ParseNotification(readTestdata(t, "current_v3_incomingMessageReceived_contactMessage.json"))
	if m, _ := MessageOf(n); m.SenderData.SenderPhoneNumber != "79991112233" {
		t.Errorf("v3 example: senderPhoneNumber = %q, want the documented number", m.SenderData.SenderPhoneNumber)
	}
}

func FuzzParseNotification(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.json")
	for _, file := range files {
		b, _ := os.ReadFile(file)
		f.Add(b)
	}
	for _, phone := range []string{`79001234568`, `"+79001234568"`, `null`, `{}`, `[1]`, `1e400`, `-7`, `"79001234568@c.us"`} {
		f.Add([]byte(`{"typeWebhook":"incomingMessageReceived","idMessage":"A","senderData":{"chatId":"120650379300963@lid","senderPhoneNumber":` +
			phone + `},"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"Привет"}}}`))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := ParseNotification(body)
		if err != nil {
			if !errors.Is(err, ErrInvalidNotification) {
				t.Fatalf("error does not wrap ErrInvalidNotification: %v", err)
			}
			return
		}
		if n.Head().TypeWebhook == "" {
			t.Fatal("parsed a notification without typeWebhook")
		}
		if m, ok := MessageOf(n); ok {
			if m.SenderData.ChatID == "" || m.IDMessage == "" {
				t.Fatal("message notification without chatId or idMessage")
			}
			if digits, ok := m.SenderData.Phone(); ok != (digits != "") || strings.Trim(digits, "0123456789") != "" {
				t.Fatalf("Phone() = %q, %v: want digits or nothing", digits, ok)
			}
			if m.MessageData.Message != nil {
				MessageText(m.MessageData.Message)
				if k := m.MessageData.Kind(); k != KindMessage && k != KindAnswer && k != KindEvent {
					t.Fatalf("Kind = %d", k)
				}
			}
		}
	})
}
