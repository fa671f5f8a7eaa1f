package bot_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/queue"
)

var businessMessages atomic.Int64

// businessWrites has a person of the business write in chat from the phone
// (outgoingMessageReceived) at the harness's time.
func (h *harness) businessWrites(chat string) {
	h.t.Helper()
	h.mu.Lock()
	at := h.now
	h.mu.Unlock()
	id := fmt.Sprintf("3EB1BUSINESS%08d", businessMessages.Add(1))
	body := fmt.Sprintf(`{"typeWebhook":"outgoingMessageReceived","instanceData":{"idInstance":%s,"wid":%q,"typeInstance":"whatsapp"},`+
		`"timestamp":%d,"idMessage":%q,"senderData":{"chatId":%q,"sender":%q,"senderName":"Business"},`+
		`"messageData":{"typeMessage":"textMessage","textMessageData":{"textMessage":"Hi, Maria from the shop here"}}}`,
		greenapitest.DefaultIDInstance, greenapitest.AccountWid, at.Unix(), id, chat, greenapitest.AccountWid)
	if err := h.handle(context.Background(), queue.Notification{ChatID: chat, IDMessage: id, Body: []byte(body), ReceivedAt: at}); err != nil {
		h.t.Fatal(err)
	}
}

// TestOptOut: a stop word, in any shipped language, gets one confirmation
// in the sender's language and no greeting; the operators learn it; the
// chat gets nothing automatic until a start word; the same notification
// handled twice confirms once.
func TestOptOut(t *testing.T) {
	t.Parallel()
	tests := []struct {
		chat, word, want string
	}{
		{"12125550101@c.us", "STOP", "You will receive no more automatic messages from us."},
		{"12125550102@c.us", "stop!", "You will receive no more automatic messages from us."},
		{"79001234567@c.us", "Стоп", "Вы больше не будете получать от нас автоматические сообщения."},
		{"34612345678@c.us", "baja", "Ya no recibirá mensajes automáticos de nuestra parte."},
		{"5511987654321@c.us", "PARAR", "Você não receberá mais mensagens automáticas nossas."},
		{"4915123456789@c.us", "Stopp.", "Sie erhalten keine automatischen Nachrichten mehr von uns."},
		{"972501234567@c.us", "עצור", "לא תקבלו מאיתנו עוד הודעות אוטומטיות."},
		{"4915123456780@c.us", "STOP", "Sie erhalten keine automatischen Nachrichten mehr von uns."}, // an English word from Germany: the German answer
	}
	for _, tt := range tests {
		t.Run(tt.word+" from "+tt.chat, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, true)
			h.srv.SetContact(tt.chat, greenapi.ContactInfo{Name: "Shop", Category: "Retail", IsBusiness: true})
			id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: tt.chat, Text: tt.word, Time: h.now})
			n := queue.Notification{ChatID: tt.chat, IDMessage: id, Body: body, ReceivedAt: h.now}
			for range 2 { // Green API sends it twice
				if err := h.handle(context.Background(), n); err != nil {
					t.Fatal(err)
				}
			}
			sent := h.srv.Sent(tt.chat)
			if len(sent) != 1 || !strings.HasPrefix(sent[0].Message, tt.want) {
				t.Fatalf("sent %+v; want one confirmation starting %q and no greeting", sent, tt.want)
			}
			summary := h.srv.Sent(operatorChat)
			if len(summary) != 1 || !strings.Contains(summary[0].Message, "The sender asked for no automatic messages.") {
				t.Errorf("operators got %+v; want the summary saying the sender opted out", summary)
			}
			if fc := firstContact(t, h, tt.chat); fc.Skipped != bot.SkippedOptedOut || fc.Step != bot.StepDone {
				t.Errorf("first contact %+v; want done, greeting skipped (opted_out)", fc)
			}
		})
	}
}

// TestOptedOutChatGetsNothingUntilStart: after a stop word, a message
// after a long silence (a new first contact) gets no greeting; after a
// start word it does.
func TestOptedOutChatGetsNothingUntilStart(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.NewSenderAfter, c.Events = time.Hour, true })
	const chat = "12125550103@c.us"
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hello", SenderName: "Ana"})
	h.write(greenapitest.Incoming{ChatID: chat, Text: "STOP", SenderName: "Ana"})
	if sent := h.srv.Sent(chat); len(sent) != 2 || !strings.HasPrefix(sent[1].Message, "You will receive no more") {
		t.Fatalf("sent %+v; want the greeting, then the confirmation", sent)
	}
	h.advance(2 * time.Hour)
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hello again", SenderName: "Ana"})
	if sent := h.srv.Sent(chat); len(sent) != 2 {
		t.Fatalf("an opted-out sender, silent for longer than NEW_SENDER_AFTER, got %+v", sent[2:])
	}
	h.write(greenapitest.Incoming{ChatID: chat, Text: "start", SenderName: "Ana"})
	if sent := h.srv.Sent(chat); len(sent) != 2 {
		t.Fatalf("the start word is answered with %+v; want nothing", sent[2:])
	}
	// The outbox tells the business's other systems, once each.
	var conversation []string
	for range 10 { // delivered in order, as the deliverer does
		events, err := h.store.DueEvents(context.Background(), time.Now().Add(48*time.Hour), 100) // the harness clock runs ahead
		if err != nil {
			t.Fatal(err)
		}
		if len(events) == 0 {
			break
		}
		for _, e := range events {
			if strings.Contains(string(e.Body), `"type":"conversation"`) {
				conversation = append(conversation, string(e.Body))
			}
			if err := h.store.SettleEvent(context.Background(), e.Seq, bot.EventSettlement{At: time.Now(), Delivered: true, Attempts: 1}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(conversation) != 2 || !strings.Contains(conversation[0], `"event":"opted_out"`) || !strings.Contains(conversation[1], `"event":"opted_in"`) {
		t.Errorf("conversation events %q; want the opt-out, then the opt-in", conversation)
	}
	h.advance(2 * time.Hour)
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hello once more", SenderName: "Ana"})
	if sent := h.srv.Sent(chat); len(sent) != 3 || !strings.HasPrefix(sent[2].Message, "Hello, Ana!") {
		t.Errorf("after START and a long silence: %+v; want a greeting", sent)
	}
}

// TestOptOutConfirmationOnceAcrossAnAmbiguousFailure: the confirmation's
// send answers 500 after the message went out; the retry finds it in the
// chat's history and does not send it again.
func TestOptOutConfirmationOnceAcrossAnAmbiguousFailure(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	const chat = "12125550104@c.us"
	h.srv.FailNext(greenapi.MethodSendMessage, 1, greenapitest.Fault{Status: 500, AfterWork: true})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, Text: "STOP", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now}
	h.handleUntilDone(n) // as the pool retries it
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Errorf("sent %d messages; want the confirmation once", len(sent))
	}
	if n := len(h.srv.Calls(greenapi.MethodGetChatHistory)); n == 0 {
		t.Error("the history was not read before a resend")
	}
}

// TestHumanTakeover: after a person of the business wrote from the phone,
// nothing automatic goes to the chat for HUMAN_PAUSE: a first contact in
// that time gets no greeting (the operators still get the summary); after
// it, greetings come back.
func TestHumanTakeover(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true, func(c *bot.Config) { c.NewSenderAfter, c.HumanPause = time.Hour, 24*time.Hour })
	const chat = "12125550105@c.us"
	h.srv.SetContact(chat, greenapi.ContactInfo{Name: "Shop", Category: "Retail", IsBusiness: true})
	h.businessWrites(chat)
	h.advance(2 * time.Hour) // silent for longer than NEW_SENDER_AFTER: a first contact again
	h.write(greenapitest.Incoming{ChatID: chat, Text: "hello"})
	if sent := h.srv.Sent(chat); len(sent) != 0 {
		t.Fatalf("sent %+v while a person has the chat", sent)
	}
	if fc := firstContact(t, h, chat); fc.Skipped != bot.SkippedHuman {
		t.Errorf("first contact %+v; want the greeting skipped (human)", fc)
	}
	if summary := h.srv.Sent(operatorChat); len(summary) != 1 {
		t.Errorf("operators got %d summaries; want 1", len(summary))
	}
	h.write(greenapitest.Incoming{ChatID: chat, Text: "STOP"})
	if sent := h.srv.Sent(chat); len(sent) != 0 {
		t.Errorf("a stop word while a person has the chat is confirmed: %+v", sent)
	}
	// A day later the pause is over; a sender silent for long is greeted
	// again (it opted out: nothing), so try another chat the person wrote to.
	const other = "12125550106@c.us"
	h.businessWrites(other)
	h.advance(25 * time.Hour)
	h.write(greenapitest.Incoming{ChatID: other, Text: "hello", SenderName: "Bo"})
	if sent := h.srv.Sent(other); len(sent) != 1 || !strings.HasPrefix(sent[0].Message, "Hello, Bo!") {
		t.Errorf("after the pause: %+v; want a greeting", sent)
	}
}

// TestIgnoredChatsAreNeverGreeted: staff numbers and globs of
// IGNORE_CHATS get nothing and cost no lookup.
func TestIgnoredChatsAreNeverGreeted(t *testing.T) {
	t.Parallel()
	filter, err := bot.NewChatFilter([]string{"491511111111@c.us", "4930*@c.us"})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, true, func(c *bot.Config) { c.Ignore = filter })
	for _, chat := range []string{"491511111111@c.us", "4930123456@c.us"} {
		h.write(greenapitest.Incoming{ChatID: chat, Text: "hi"})
		if sent := h.srv.Sent(chat); len(sent) != 0 {
			t.Errorf("%s is ignored but got %+v", chat, sent)
		}
	}
	h.write(greenapitest.Incoming{ChatID: "4940123456@c.us", Text: "hi"})
	if sent := h.srv.Sent("4940123456@c.us"); len(sent) != 1 {
		t.Errorf("a chat not ignored got %d messages", len(sent))
	}
	if n := h.lookups(); n != 1 {
		t.Errorf("%d lookups; want 1 (the ignored chats cost none)", n)
	}
	if _, err := bot.NewChatFilter([]string{"[4930"}); err == nil {
		t.Error("a broken glob was accepted")
	}
}

// TestGreetingWithAFileAndTyping: a rule's file_url sends the greeting as
// the caption of the file (sendFileByUrl), after the typing indicator; an
// answer of unknown outcome is settled by the history (the caption), not
// sent twice.
func TestGreetingWithAFileAndTyping(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.useRules("[[rule]]\nid = \"menu\"\nreply = \"greeting_named\"\nfile_url = \"https://example.com/files/menu.pdf\"\ntyping = \"2s\"\n")
	const chat = "5511987654321@c.us"
	h.srv.FailNext(greenapi.MethodSendFileByURL, 1, greenapitest.Fault{Status: 500, AfterWork: true})
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Ana", Text: "oi", Time: h.now})
	n := queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now}
	h.handleUntilDone(n) // as the pool retries it
	sent := h.srv.Sent(chat)
	if len(sent) != 1 || sent[0].FileURL != "https://example.com/files/menu.pdf" || sent[0].FileName != "menu.pdf" ||
		sent[0].TypingTime != 2000 || !strings.HasPrefix(sent[0].Message, "Olá, Ana!") {
		t.Errorf("sent %+v; want the menu once, captioned with the Portuguese greeting, after 2 s of typing", sent)
	}
	for _, tt := range []struct{ rule, want string }{
		{"file_url = \"ftp://x/menu.pdf\"", `file_url: "ftp://x/menu.pdf": expected a link`},
		{"file_url = \"https://example.com/menu\"", `file_url: the link's name "menu" has no extension`},
		{"file_url = \"https://example.com/menu\"\nfile_name = \"menu\"", `file_name: "menu" has no extension`},
		{"file_name = \"menu.pdf\"", "file_name: names the file of file_url, which is missing"},
		{"typing = \"30s\"", `typing: "30s": expected a duration from 1s to 20s`},
	} {
		_, err := bot.ParseRules("rules.toml", []byte("[[rule]]\nid = \"r\"\nreply = \"greeting_generic\"\n"+tt.rule+"\n"), mustCatalog(t))
		if err == nil || !strings.Contains(err.Error(), "rules.toml:4: rule \"r\": "+tt.want) && !strings.Contains(err.Error(), "rules.toml:5: rule \"r\": "+tt.want) {
			t.Errorf("%s: %v; want %q", tt.rule, err, tt.want)
		}
	}
}

// TestLanguageChoiceByReply: the greeting lists the other languages; a
// reply with a language's own name (or its number) within the window
// switches the chat for good and sends the greeting again in it, once;
// later automatic messages use it; any other reply, or one after the
// window, is an ordinary message.
func TestLanguageChoiceByReply(t *testing.T) {
	t.Parallel()
	h := newHarness(t, true)
	h.useRules("[languages]\noffer = true\nwindow = \"30m\"\n\n[[rule]]\nid = \"all\"\nreply = \"greeting_named\"\n")
	const chat = "4915123456789@c.us"
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Jonas", Text: "Hallo"})
	sent := h.srv.Sent(chat)
	if len(sent) != 1 || !strings.HasPrefix(sent[0].Message, "Hallo, Jonas!") || !strings.Contains(sent[0].Message, "Lieber in einer anderen Sprache?") ||
		!strings.Contains(sent[0].Message, "español") || strings.Contains(sent[0].Message, "Deutsch") {
		t.Fatalf("greeting %+v; want German, with the other languages listed in their own names", sent)
	}
	h.write(greenapitest.Incoming{ChatID: chat, SenderName: "Jonas", Text: "Wie lange haben Sie offen?"})
	if sent := h.srv.Sent(chat); len(sent) != 1 {
		t.Fatalf("an ordinary reply got %+v", sent[1:])
	}
	h.advance(5 * time.Minute)
	id, body := h.srv.NewIncoming(greenapitest.Incoming{ChatID: chat, SenderName: "Jonas", Text: "ESPAÑOL", Time: h.now})
	for range 2 { // delivered twice
		if err := h.handle(context.Background(), queue.Notification{ChatID: chat, IDMessage: id, Body: body, ReceivedAt: h.now}); err != nil {
			t.Fatal(err)
		}
	}
	sent = h.srv.Sent(chat)
	if len(sent) != 2 || !strings.HasPrefix(sent[1].Message, "¡Hola, Jonas!") || strings.Contains(sent[1].Message, "idioma?") {
		t.Fatalf("after ESPAÑOL: %+v; want the greeting once more, in Spanish, without the list", sent)
	}
	h.write(greenapitest.Incoming{ChatID: chat, Text: "STOP"})
	if sent := h.srv.Sent(chat); len(sent) != 3 || !strings.HasPrefix(sent[2].Message, "Ya no recibirá mensajes automáticos") {
		t.Errorf("the opt-out confirmation after the switch: %+v; want it in Spanish", sent[2:])
	}
	// Another sender answers with a number, after the window: ordinary.
	const late = "4915123456780@c.us"
	h.write(greenapitest.Incoming{ChatID: late, SenderName: "Lea", Text: "Hallo"})
	h.advance(31 * time.Minute)
	h.write(greenapitest.Incoming{ChatID: late, SenderName: "Lea", Text: "1"})
	if sent := h.srv.Sent(late); len(sent) != 1 {
		t.Errorf("a number after the window got %+v", sent[1:])
	}
	if _, err := bot.ParseRules("rules.toml", []byte("[languages]\noffer = true\nchoices = [\"xx\"]\n\n[[rule]]\nid = \"r\"\nreply = \"\"\n"), mustCatalog(t)); err == nil ||
		!strings.Contains(err.Error(), `rules.toml:3: languages: choices: no locale "xx"`) {
		t.Errorf("an unknown choice: %v", err)
	}
}
