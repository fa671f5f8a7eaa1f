package bot_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/frontdesk-bot/frontdesk/bot"
	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
)

const lidChat = "120650379300963@lid"

// traces keeps the Detail of every trace step of a harness, by step.
type traces struct {
	mu    sync.Mutex
	steps map[string][]string
}

func (tr *traces) record(t bot.Trace) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.steps == nil {
		tr.steps = map[string][]string{}
	}
	tr.steps[t.Step] = append(tr.steps[t.Step], t.Detail)
}

func (tr *traces) of(step string) string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return strings.Join(tr.steps[step], "\n")
}

// TestLIDSenderLocale: an @lid sender is greeted in the language of the
// phone number its notification carries (a number or a string); without
// one, in the one shipped locale written in the script of the message
// (Cyrillic: ru, Hebrew: he); else in the default. A phone number's chat
// keeps its number's language, or the default, whatever script it writes
// in. The trace says why.
func TestLIDSenderLocale(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		in         greenapitest.Incoming
		wantLocale string
		wantWhy    string
	}{
		{"lid with a Brazilian number", greenapitest.Incoming{ChatID: lidChat, SenderPhoneNumber: "5511987654321", Text: "hello"}, "pt", "the phone number is from BR"},
		{"lid with a German number as a string", greenapitest.Incoming{ChatID: lidChat, SenderPhoneNumber: "4915123456789", PhoneAsString: true, Text: "hello"}, "de", "the phone number is from DE"},
		{"lid with a German number writing Cyrillic", greenapitest.Incoming{ChatID: lidChat, SenderPhoneNumber: "4915123456789", Text: "Здравствуйте"}, "de", "the phone number is from DE"},
		{"lid without a number writing Cyrillic", greenapitest.Incoming{ChatID: lidChat, Text: "Здравствуйте, есть ли у вас доставка?"}, "ru", "the message is written in Cyrillic"},
		{"lid without a number writing Hebrew", greenapitest.Incoming{ChatID: lidChat, Text: "שלום, אתם פתוחים היום?"}, "he", "the message is written in Hebrew"},
		{"lid without a number, Cyrillic with a Latin word", greenapitest.Incoming{ChatID: lidChat, Text: "Привет, iPhone 15 есть?"}, "ru", "the message is written in Cyrillic"},
		{"lid without a number writing Latin", greenapitest.Incoming{ChatID: lidChat, Text: "Hola, ¿tienen envío?"}, "en", "the default locale: the @lid chat came without a phone number"},
		{"lid without a number nor letters", greenapitest.Incoming{ChatID: lidChat, Text: "👍 42"}, "en", "the default locale: the @lid chat came without a phone number"},
		{"lid with a number of no country writing Cyrillic", greenapitest.Incoming{ChatID: lidChat, SenderPhoneNumber: "99912345678", Text: "Привет"}, "ru", "the message is written in Cyrillic"},
		{"phone number chat writing Cyrillic", greenapitest.Incoming{ChatID: "4915123456789@c.us", Text: "Здравствуйте"}, "de", "the phone number is from DE"},
		{"phone number of no country writing Cyrillic", greenapitest.Incoming{ChatID: "99912345678@c.us", Text: "Здравствуйте"}, "en", "the default locale: the phone number's country is unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var tr traces
			h := newHarness(t, true, func(c *bot.Config) { c.Trace = tr.record })
			h.srv.SetContact(tt.in.ChatID, greenapi.ContactInfo{Name: "Shop", Category: "Retail", IsBusiness: true}) // forwarded
			h.write(tt.in)
			if fc := firstContact(t, h, tt.in.ChatID); fc.Locale != tt.wantLocale || fc.Step != bot.StepDone {
				t.Errorf("first contact %+v; want done in %s", fc, tt.wantLocale)
			}
			if got := tr.of("decided"); !strings.Contains(got, "language "+tt.wantLocale+" ("+tt.wantWhy) {
				t.Errorf("decided: %q; want language %s (%s…)", got, tt.wantLocale, tt.wantWhy)
			}
			if sent := h.srv.Sent(tt.in.ChatID); len(sent) != 1 {
				t.Errorf("sent %+v; want one greeting", sent)
			}
			// The operators learn an @lid sender's number when it came.
			digits, _ := greenapi.PhoneOf(tt.in.ChatID)
			_, phone := bot.RegionOf(digits + tt.in.SenderPhoneNumber)
			summary := h.srv.Sent(operatorChat)
			if len(summary) != 1 || phone != "" && !strings.Contains(summary[0].Message, "Phone: "+phone+"\n") ||
				phone == "" && strings.Contains(summary[0].Message, "Phone:") {
				t.Errorf("summary %+v; want the phone number %q", summary, phone)
			}
		})
	}
}

// TestLIDSenderPreview: frontdesk check's preview decides an @lid
// sender's language as the service does.
func TestLIDSenderPreview(t *testing.T) {
	t.Parallel()
	catalog := mustCatalog(t)
	rules, err := bot.ParseRules(bot.DefaultRulesName, []byte(bot.DefaultRules), catalog)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		s    bot.Sender
		want string
	}{
		{bot.Sender{ChatID: lidChat, Text: "Добрый день"}, "ru"},
		{bot.Sender{ChatID: lidChat, Phone: "972501234567", Text: "hello"}, "he"},
		{bot.Sender{ChatID: lidChat, Text: "Guten Tag"}, "en"},
	} {
		d, err := bot.Preview(catalog, rules, bot.Config{}, tt.s)
		if err != nil || d.Locale != tt.want {
			t.Errorf("Preview(%+v) = %s (%s), %v; want %s", tt.s, d.Locale, d.LocaleWhy, err, tt.want)
		}
	}
}

// TestLIDIgnoredChats: IGNORE_CHATS names an @lid chat by its id, and a
// phone number (or a glob of them) in it also matches an @lid chat whose
// notification carries that number; neither costs a lookup.
func TestLIDIgnoredChats(t *testing.T) {
	t.Parallel()
	filter, err := bot.NewChatFilter([]string{"491511111111@c.us", "4930*@c.us", lidChat})
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, true, func(c *bot.Config) { c.Ignore = filter })
	for _, in := range []greenapitest.Incoming{
		{ChatID: lidChat, Text: "hi"},
		{ChatID: lidChat, Text: "hi", SenderPhoneNumber: "4940123456"}, // its id is ignored, whatever its number
		{ChatID: "200000000000001@lid", Text: "hi", SenderPhoneNumber: "491511111111"},
		{ChatID: "200000000000002@lid", Text: "hi", SenderPhoneNumber: "4930123456", PhoneAsString: true},
	} {
		h.write(in)
		if sent := h.srv.Sent(in.ChatID); len(sent) != 0 {
			t.Errorf("%s (number %q) is ignored but got %+v", in.ChatID, in.SenderPhoneNumber, sent)
		}
	}
	for _, in := range []greenapitest.Incoming{
		{ChatID: "200000000000003@lid", Text: "hi", SenderPhoneNumber: "4940123456"},
		{ChatID: "200000000000004@lid", Text: "hi"},
	} {
		h.write(in)
		if sent := h.srv.Sent(in.ChatID); len(sent) != 1 {
			t.Errorf("%s (number %q) is not ignored but got %d messages", in.ChatID, in.SenderPhoneNumber, len(sent))
		}
	}
	if n := h.lookups(); n != 2 {
		t.Errorf("%d lookups; want 2 (the ignored chats cost none)", n)
	}
}

// TestLIDKnownChatLocale: outside a first contact (an opt-out's
// confirmation), an @lid chat's message is answered in its number's
// language, else in its script's.
func TestLIDKnownChatLocale(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   greenapitest.Incoming
		want string
	}{
		{greenapitest.Incoming{ChatID: lidChat, Text: "PARAR", SenderPhoneNumber: "5511987654321"}, "Você não receberá mais mensagens automáticas nossas."},
		{greenapitest.Incoming{ChatID: lidChat, Text: "Стоп"}, "Вы больше не будете получать от нас автоматические сообщения."},
		{greenapitest.Incoming{ChatID: lidChat, Text: "STOP"}, "You will receive no more automatic messages from us."},
	} {
		h := newHarness(t, true)
		h.srv.SetContact(lidChat, greenapi.ContactInfo{Name: "Shop"})
		h.write(tt.in)
		h.advance(time.Minute)
		if sent := h.srv.Sent(lidChat); len(sent) != 1 || !strings.HasPrefix(sent[0].Message, tt.want) {
			t.Errorf("%q: sent %+v; want the confirmation %q", tt.in.Text, sent, tt.want)
		}
	}
}
