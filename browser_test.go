package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/frontdesk-bot/frontdesk/greenapi"
	"github.com/frontdesk-bot/frontdesk/greenapi/greenapitest"
	"github.com/frontdesk-bot/frontdesk/internal/logtest"
)

// The browser tests drive headless Chromium (Debian's chromium, which
// .ci/run installs) through chromedp. Without a browser they are skipped,
// unless FRONTDESK_TEST_BROWSER_REQUIRED is set (as .ci/run does): then
// they fail. Screenshots go to FRONTDESK_SCREENSHOTS, or to the test's
// temporary directory.

func findBrowser() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser returns a browser tab's context, at the given window size,
// whose actions must end within 2 minutes.
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	return newBrowserWithin(t, width, height, 2*time.Minute)
}

// newBrowserWithin is newBrowser whose actions must end within limit.
func newBrowserWithin(t *testing.T, width, height int, limit time.Duration) context.Context {
	t.Helper()
	path := findBrowser()
	if path == "" {
		if os.Getenv("FRONTDESK_TEST_BROWSER_REQUIRED") != "" {
			t.Fatal("no Chromium to drive (apt-get install chromium)")
		}
		t.Skip("no Chromium to drive (apt-get install chromium); set FRONTDESK_TEST_BROWSER_REQUIRED to fail instead")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(width, height))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancelTab(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	// A wait for an element that never shows must fail the test, not
	// hang it until go test's own timeout: actions run under a deadline
	// (the browser itself lives on the tab's context).
	actions, cancel := context.WithTimeout(ctx, limit)
	t.Cleanup(cancel)
	return actions
}

// screenshot saves the whole page as name.png among the artifacts.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("FRONTDESK_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// startSandbox runs `frontdesk sandbox` and returns its page's URL.
func startSandbox(t *testing.T, env ...string) string {
	t.Helper()
	cmd := exec.Command(binary, "sandbox", "-addr", "127.0.0.1:0")
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "LOOKUP_TIMEOUT=2s"}, env...)
	cmd.Stderr = logtest.Writer()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("the sandbox did not start: %v", err)
	}
	_, rest, ok := strings.Cut(line, "open ")
	url, _, _ := strings.Cut(rest, " ")
	if !ok || !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Fatalf("the sandbox said %q", line)
	}
	return strings.TrimSuffix(url, "/")
}

// setField sets an input's value (a checkbox's with "on" or ""), as the
// user would, firing its events.
func setField(sel, value string) chromedp.Action[chromedp.Void] {
	expr := fmt.Sprintf(`(() => { const e = document.querySelector(%q);
		if (e.type === "checkbox") e.checked = %q !== ""; else e.value = %q;
		e.dispatchEvent(new Event("input", {bubbles: true})); e.dispatchEvent(new Event("change", {bubbles: true})); return true; })()`, sel, value, value)
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Evaluate[bool](expr)(ctx, t)
		return chromedp.Void{}, err
	}
}

// botReplies returns the texts of Frontdesk's replies in the chat shown.
func botReplies(ctx context.Context) ([]string, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#chat .msg.bot")].map(m => m.firstChild.textContent)`))
}

// text returns the text of the element with id.
func text(t *testing.T, ctx context.Context, id string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// applyConfig clicks "Check and apply" and waits for the status to say
// "Applied": the click shows "Checking…" at once, and only the server's
// answer to it turns that into "Applied" (a mistake shows the error).
func applyConfig(t *testing.T, ctx context.Context) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("config-apply"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("config-status").textContent.startsWith("Applied")`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("not applied: %v; the page says %q, %q", err, text(t, ctx, "config-status"), text(t, ctx, "config-error"))
	}
}

// waitReplies waits until the chat shows n replies, and returns them.
func waitReplies(t *testing.T, ctx context.Context, n int, timeout time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		texts, err := botReplies(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(texts) >= n || time.Now().After(deadline) {
			return texts
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// sendAs sends text as the customer after the persona's fields are set.
func sendAs(t *testing.T, ctx context.Context, persona string, fields map[string]string, text string) {
	t.Helper()
	actions := []chromedp.Action[chromedp.Void]{setField("#persona-select", persona)}
	for sel, v := range fields {
		actions = append(actions, setField(sel, v))
	}
	actions = append(actions, setField("#text", text), chromedp.Click(chromedp.ID("send")))
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatal(err)
	}
}

// TestSandboxInABrowser is issue #14's proof of the sandbox: its page in
// headless Chromium, against `frontdesk sandbox`.
func TestSandboxInABrowser(t *testing.T) {
	ctx := newBrowser(t, 1280, 1000)
	url := startSandbox(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("send"))); err != nil {
		t.Fatal(err)
	}

	t.Run("a Brazilian restaurant gets the Portuguese business greeting", func(t *testing.T) {
		sendAs(t, ctx, "0", map[string]string{"#phone": "+55 11 91234-0001", "#products": "", "#category": "Restaurante"}, "Olá! Vocês fazem entregas?")
		replies := waitReplies(t, ctx, 1, 10*time.Second)
		want := "Olá, Cantina da Ana! Obrigado por nos escrever. Vemos que você atua em Restaurante. Como podemos ajudar o seu negócio?"
		if len(replies) != 1 || replies[0] != want {
			t.Errorf("replies %q; want %q", replies, want)
		}
		// The summary and the last step arrive after the reply: wait for
		// them rather than read the page once.
		waitFor(t, "the summary in the operators' pane", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "operators"), "Cantina da Ana") })
		waitFor(t, "the forwarded step", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "trace"), "forwarded") })
		trace := text(t, ctx, "trace")
		for _, want := range []string{"stored", "claimed", "looked up", "decided", "rule business", "language pt (the phone number is from BR)", "replied", "forwarded"} {
			if !strings.Contains(trace, want) {
				t.Errorf("the steps lack %q:\n%s", want, trace)
			}
		}
		screenshot(t, ctx, "sandbox")
	})

	t.Run("a call nobody picks up: the caller is asked to write, the operators told", func(t *testing.T) {
		actions := []chromedp.Action[chromedp.Void]{setField("#persona-select", "0")}
		for sel, v := range map[string]string{"#phone": "+55 11 91234-0009", "#products": "", "#category": "Restaurante"} {
			actions = append(actions, setField(sel, v))
		}
		if err := chromedp.Do(ctx, append(actions, chromedp.Click(chromedp.ID("customer-calls")))...); err != nil {
			t.Fatal(err)
		}
		replies := waitReplies(t, ctx, 1, 10*time.Second)
		if want := "Não podemos atender ligações neste número — escreva sua pergunta aqui e nós responderemos."; len(replies) != 1 || replies[0] != want {
			t.Errorf("replies %q; want %q", replies, want)
		}
		waitFor(t, "the caller's summary in the operators' pane", 10*time.Second, func() bool {
			return strings.Contains(text(t, ctx, "operators"), "Called on WhatsApp, nobody picked up")
		})
	})

	t.Run("a Russian number without a name gets the Russian generic greeting", func(t *testing.T) {
		sendAs(t, ctx, "2", nil, "Здравствуйте, сколько стоит доставка?")
		replies := waitReplies(t, ctx, 1, 10*time.Second)
		if want := "Здравствуйте! Спасибо за сообщение. Чем можем помочь?"; len(replies) != 1 || replies[0] != want {
			t.Errorf("replies %q; want %q", replies, want)
		}
		// A private person under the shipped rules: the page says why the
		// operators get nothing.
		waitFor(t, "the no-summary step", 10*time.Second, func() bool {
			return strings.Contains(text(t, ctx, "trace"), "no summary") && strings.Contains(text(t, ctx, "trace"), "the operators are not told of this contact")
		})
	})

	t.Run("with Green API down every wait shows, with why and until when", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("fault-down"))); err != nil {
			t.Fatal(err)
		}
		sendAs(t, ctx, "own", map[string]string{"#phone": "+1 212 555 0111", "#name": "Ana", "#business": "", "#category": "", "#products": ""}, "hi")
		// The lookup waits first (as with a healthy Green API); then the
		// greeting's send fails: its retry or the pause of every call shows,
		// with why and until when.
		waitFor(t, "a step that says Green API failed", 30*time.Second, func() bool {
			trace := text(t, ctx, "trace")
			return strings.Contains(trace, "calls to Green API paused") || strings.Contains(trace, "the next attempt at")
		})
		if trace := text(t, ctx, "trace"); strings.Contains(trace, "h0m0s") || strings.Contains(trace, "T") && strings.Contains(trace, "Z:") {
			t.Errorf("the steps show Go's formats:\n%s", trace)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("fault-down"))); err != nil {
			t.Fatal(err)
		}
		if replies := waitReplies(t, ctx, 1, 90*time.Second); len(replies) != 1 {
			t.Errorf("replies %q once Green API is back; want the greeting", replies)
		}
		screenshot(t, ctx, "sandbox-down")
	})

	t.Run("a send whose answer was lost is looked for in the history, not sent twice", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("fault-sends_timeout"))); err != nil {
			t.Fatal(err)
		}
		sendAs(t, ctx, "own", map[string]string{"#phone": "+1 212 555 0122", "#name": "Bo", "#business": "", "#category": "", "#products": ""}, "hi")
		waitFor(t, "the history step", 30*time.Second, func() bool {
			return strings.Contains(text(t, ctx, "trace"), "had been sent (")
		})
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("fault-sends_timeout"))); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second) // a second greeting would show by now
		if replies, _ := botReplies(ctx); len(replies) != 1 {
			t.Errorf("replies %q; want the greeting once", replies)
		}
		if trace := text(t, ctx, "trace"); !strings.Contains(trace, "not sending again") {
			t.Errorf("the steps do not say the earlier attempt was found:\n%s", trace)
		}
	})

	t.Run("with lookups failing the greeting still arrives once", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("fault-lookups_fail"))); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = chromedp.Do(ctx, chromedp.Click(chromedp.ID("fault-lookups_fail"))) }()
		sendAs(t, ctx, "own", map[string]string{"#phone": "+1 212 555 0199", "#name": "Ana", "#business": "", "#category": "", "#products": ""}, "hi")
		replies := waitReplies(t, ctx, 1, 15*time.Second)
		time.Sleep(2 * time.Second) // a second greeting would show by now
		again, _ := botReplies(ctx)
		if len(replies) != 1 || len(again) != 1 || !strings.HasPrefix(replies[0], "Hello, Ana!") {
			t.Errorf("replies %q, then %q; want one greeting", replies, again)
		}
		if trace := text(t, ctx, "trace"); !strings.Contains(trace, "without the profile") {
			t.Errorf("the steps do not say the profile was missing:\n%s", trace)
		}
	})

	t.Run("a rules-file mistake shows the error and keeps the old rules", func(t *testing.T) {
		// rules.toml is the file the editor opens with; selecting it again
		// would load it again, over an edit.
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("config-text").value.includes("[[rule]]")`,
			chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatal(err)
		}
		rules, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID("config-text")))
		if err != nil {
			t.Fatal(err)
		}
		if err := chromedp.Do(ctx, setField("#config-text", "[[rule]]\nid = \"everyone\"\nreply = \"greeting_nobody_wrote\"\n"),
			chromedp.Click(chromedp.ID("config-apply")), chromedp.WaitVisible(chromedp.ID("config-error"))); err != nil {
			t.Fatal(err)
		}
		if shown := text(t, ctx, "config-error"); !strings.Contains(shown, `rules.toml:3: rule "everyone": reply: message "greeting_nobody_wrote" is not in the default locale "en"`) {
			t.Errorf("the page shows %q; want the file, line, rule and key", shown)
		}
		// The old rules still greet, in Hebrew, right to left.
		sendAs(t, ctx, "3", nil, "שלום, אתם פתוחים היום?")
		replies := waitReplies(t, ctx, 1, 10*time.Second)
		direction, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("#chat .msg.bot")).direction`))
		if err != nil {
			t.Fatal(err)
		}
		if len(replies) != 1 || !strings.Contains(replies[0], "Noa") || direction != "rtl" {
			t.Errorf("replies %q shown %s; want the shipped rules' Hebrew greeting, right to left", replies, direction)
		}
		// A good edit applies.
		if err := chromedp.Do(ctx, setField("#config-text", rules)); err != nil {
			t.Fatal(err)
		}
		applyConfig(t, ctx)
	})

	t.Run("on a phone-sized screen", func(t *testing.T) {
		phone := newBrowser(t, 390, 844)
		if err := chromedp.Do(phone, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("send"))); err != nil {
			t.Fatal(err)
		}
		overflow, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
		if err != nil {
			t.Fatal(err)
		}
		if overflow {
			t.Error("the page is wider than a phone's screen")
		}
		sendAs(t, phone, "1", nil, "Guten Tag, haben Sie Winterreifen?")
		if replies := waitReplies(t, phone, 1, 10*time.Second); len(replies) != 1 || !strings.HasPrefix(replies[0], "Hallo, Autohaus Becker!") {
			t.Errorf("replies %q", replies)
		}
		screenshot(t, phone, "sandbox-phone")
	})

	t.Run("a menu that routes, from the page's example", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID("config-example-menu"))); err != nil {
			t.Fatal(err)
		}
		// Wait for what only the example's arrival produces: the editor
		// holding the example itself (the default rules mention
		// [[rule.choice]] in a comment) and the status saying it is not
		// applied yet (the previous subtest left "Applied" there).
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("config-text").value.startsWith("# An example:") &&
			document.getElementById("config-status").textContent.startsWith("An example, not applied yet")`,
			chromedp.WithPollingTimeout(5*time.Second))); err != nil {
			t.Fatalf("the example did not fill the editor: %v", err)
		}
		applyConfig(t, ctx)
		summaries := func() int {
			n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.getElementById("operators").children.length`))
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		before := summaries()
		own := map[string]string{"#phone": "+1 212 555 0177", "#name": "Ana", "#business": "", "#category": "", "#products": ""}
		sendAs(t, ctx, "own", own, "hi")
		replies := waitReplies(t, ctx, 1, 10*time.Second)
		if len(replies) != 1 || !strings.HasSuffix(replies[0], "Reply with a number:\n1 Sales\n2 Support\n3 Something else") {
			t.Fatalf("replies %q; want the greeting ending with the menu", replies)
		}
		if n := summaries(); n != before {
			t.Errorf("the operators got %d summaries before the choice", n-before)
		}
		sendAs(t, ctx, "own", own, "support")
		replies = waitReplies(t, ctx, 2, 10*time.Second)
		if len(replies) != 2 || replies[1] != "Thank you! Our support team will write to you here shortly." {
			t.Errorf("replies %q; want the support answer after the choice", replies)
		}
		waitFor(t, "the summary of the choice", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "operators"), "Chosen: Support") })
		waitFor(t, "the answered step", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "trace"), "answered") })
		trace := text(t, ctx, "trace")
		for _, want := range []string{"choosing", "the menu waits for the sender's choice", "chosen", "choice support", "answered"} {
			if !strings.Contains(trace, want) {
				t.Errorf("the steps lack %q:\n%s", want, trace)
			}
		}
		screenshot(t, ctx, "sandbox-menu")
	})
}

// TestSandboxRemindersInABrowser is issue #25's item 8: from the page's
// reminders example, a customer writes, an operator takes the contact
// with "Reply +", the reminder naming them appears in the operators' pane
// a minute later (with the customer's hold message), the status page
// lists the contact as waiting, taken by the operator, and the business
// answering from its phone is recorded as the answer.
func TestSandboxRemindersInABrowser(t *testing.T) {
	t.Parallel() // most of it is the minute of answer_within
	ctx := newBrowserWithin(t, 1280, 1000, 4*time.Minute)
	url := startSandbox(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("send")),
		chromedp.Click(chromedp.ID("config-example-reminders"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("config-text").value.startsWith("# An example: no person")`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the example did not fill the editor: %v", err)
	}
	applyConfig(t, ctx)
	own := map[string]string{"#phone": "+1 212 555 0178", "#name": "Ana", "#business": "", "#category": "", "#products": ""}
	sendAs(t, ctx, "own", own, "Do you deliver?")
	if replies := waitReplies(t, ctx, 1, 10*time.Second); len(replies) != 1 {
		t.Fatalf("replies %q; want the greeting", replies)
	}
	waitFor(t, "the summary", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "operators"), "New contact: Ana") })
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector("#operators .msg.operator button.take").click(); return true; })()`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the claim's acknowledgement", 10*time.Second, func() bool {
		return strings.Contains(text(t, ctx, "operators"), "Taken by Anna: +1 212-555-0178")
	})
	waitFor(t, "the reminder naming Anna", 100*time.Second, func() bool {
		return strings.Contains(text(t, ctx, "operators"), "Taken by Anna, who has not answered yet.")
	})
	ops := text(t, ctx, "operators")
	if !strings.Contains(ops, "Still waiting for an answer after 1 minute: Ana, +1 212-555-0178 — “Do you deliver?”") {
		t.Errorf("the operators' pane: %q; want the reminder", ops)
	}
	if replies := waitReplies(t, ctx, 2, 10*time.Second); len(replies) != 2 || !strings.HasPrefix(replies[1], "We have not forgotten you") {
		t.Errorf("the customer got %q; want the greeting, then the hold message", replies)
	}
	screenshot(t, ctx, "sandbox-reminders")

	statusURL, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("status-link").href`))
	if err != nil {
		t.Fatal(err)
	}
	token := text(t, ctx, "status-token")
	if err := chromedp.Do(ctx, chromedp.Navigate(statusURL), chromedp.WaitVisible(chromedp.ID("token")), chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.ID("sign-in")), chromedp.WaitVisible(chromedp.ID("waiting"))); err != nil {
		t.Fatal(err)
	}
	if waiting := text(t, ctx, "waiting"); !strings.Contains(waiting, "121******78@c.us") || !strings.Contains(waiting, "Anna") || !strings.Contains(waiting, "yes") {
		t.Errorf("waiting for a person: %q; want the customer, taken by Anna, reminded", waiting)
	}
	screenshot(t, ctx, "status-waiting")

	// Back in the sandbox, the business answers from its phone.
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("send")), setField("#persona-select", "own"),
		setField("#phone", own["#phone"]), setField("#text", "Yes, we do!"), chromedp.Click(chromedp.ID("business-writes"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the answer to be recorded", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "trace"), "person answered") })
}

// TestStatusPageInABrowser is issue #14's proof of the status page: with
// ADMIN_TOKEN, / of the operations listener signs in with the token,
// refuses a wrong one, and shows the numbers and the last first contacts,
// phone numbers masked.
func TestStatusPageInABrowser(t *testing.T) {
	const adminToken = "status-page-token-0123456789abcdef"
	fake := greenapitest.New(t)
	p := start(t, fake, 0, filepath.Join(t.TempDir(), "fd.db"), "ADMIN_TOKEN="+adminToken)
	fake.DeliverWebhooks(p.url+"/webhook", e2eWebhookToken, 50*time.Millisecond, 5*time.Second)
	fake.PushIncoming(greenapitest.Incoming{ChatID: "5511987654321@c.us", SenderName: "Ana", Text: "Olá"})
	fake.WaitSent("5511987654321@c.us", 1, 10*time.Second)
	// Two businesses are routed; a person answers the first from the phone:
	// the second still waits for a person.
	for _, chat := range []string{"5511987650101@c.us", "5511987650102@c.us"} {
		fake.SetContact(chat, greenapi.ContactInfo{Name: "Padaria " + chat[9:13], Category: "Padaria", IsBusiness: true})
		fake.PushIncoming(greenapitest.Incoming{ChatID: chat, Text: "Oi"})
		fake.WaitSent(chat, 1, 10*time.Second)
	}
	fake.WaitSent(e2eOperatorChat, 2, 10*time.Second)
	fake.PushOutgoing("5511987650101@c.us", "Olá! Aqui é a Maria.")
	waitFor(t, "the answer to be recorded", 10*time.Second, func() bool { return strings.Contains(p.logs.String(), "a person answered the first contact") })
	t.Cleanup(func() { assertNoSecrets(t, p.logs.String(), adminToken) })

	ctx := newBrowser(t, 1280, 900)
	if err := chromedp.Do(ctx, chromedp.Navigate(p.admin+"/"), chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), "not-the-token-0123456789"), chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("wrong-token"))); err != nil {
		t.Fatal(err)
	}
	if wrong := text(t, ctx, "wrong-token"); !strings.Contains(wrong, "not the token") {
		t.Errorf("a wrong token shows %q", wrong)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.ID("token"), adminToken), chromedp.Click(chromedp.ID("sign-in")),
		chromedp.WaitVisible(chromedp.ID("instances"))); err != nil {
		t.Fatal(err)
	}
	instances, contacts := text(t, ctx, "instances"), text(t, ctx, "first-contacts")
	body, err := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(instances, fake.IDInstance) || !strings.Contains(instances, "authorized") {
		t.Errorf("the numbers: %q", instances)
	}
	if !strings.Contains(contacts, "551********21@c.us") || strings.Contains(body, "5511987654321") || !strings.Contains(contacts, "named-contact") {
		t.Errorf("the first contacts: %q; want the chat masked, its rule shown", contacts)
	}
	if strings.Contains(body, adminToken) || strings.Contains(body, fake.Token) || strings.Contains(body, e2eWebhookToken) {
		t.Error("the page shows a token")
	}
	if waiting := text(t, ctx, "waiting"); !strings.Contains(waiting, "551********02@c.us") || strings.Contains(waiting, "551********01@c.us") {
		t.Errorf("waiting for a person: %q; want the unanswered business only", waiting)
	}
	if times := text(t, ctx, "answer-times"); !strings.Contains(times, "business") || !strings.Contains(times, "all") || !strings.Contains(times, "1, ") {
		t.Errorf("time to answer: %q; want the business rule's one answer", times)
	}
	screenshot(t, ctx, "status")
}

// TestStatusPageRefusesWithoutTheToken: without ADMIN_TOKEN, / serves
// nothing; with it, nothing but the sign-in form without the token, a
// wrong bearer is 401, and every answer forbids framing and scripts.
func TestStatusPageRefusesWithoutTheToken(t *testing.T) {
	t.Parallel()
	const adminToken = "status-page-token-0123456789abcdef"
	fake := greenapitest.New(t)
	without := start(t, fake, 0, filepath.Join(t.TempDir(), "a.db"))
	with := start(t, fake, 0, filepath.Join(t.TempDir(), "b.db"), "ADMIN_TOKEN="+adminToken)
	get := func(url, auth string) (*http.Response, string) {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = bufio.NewReader(resp.Body).WriteTo(&b)
		return resp, b.String()
	}
	if resp, _ := get(without.admin+"/", ""); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/ without ADMIN_TOKEN = %d, want 404", resp.StatusCode)
	}
	for _, tt := range []struct {
		auth   string
		status int
		shows  string
	}{
		{"", 200, `name="token"`},
		{"Bearer wrong-token-0123456789abcdef", 401, `name="token"`},
		{"Bearer " + adminToken, 200, `id="instances"`},
	} {
		resp, body := get(with.admin+"/", tt.auth)
		if resp.StatusCode != tt.status || !strings.Contains(body, tt.shows) {
			t.Errorf("/ with %q = %d; want %d showing %s", tt.auth, resp.StatusCode, tt.status, tt.shows)
		}
		if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") ||
			resp.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("headers %v", resp.Header)
		}
	}
	if resp, _ := get(with.url+"/", "Bearer "+adminToken); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the public listener's / = %d, want 404: the status page is on the operations listener only", resp.StatusCode)
	}
}

// TestSandboxPollInABrowser is issue #26's proof in the sandbox: the
// example menu, switched to a poll, goes after the greeting as a poll the
// customer taps; the tap routes: the answer in the chat, the summary to
// the operators, the steps saying it was chosen by the poll.
func TestSandboxPollInABrowser(t *testing.T) {
	ctx := newBrowser(t, 1280, 1000)
	url := startSandbox(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(url+"/"), chromedp.WaitVisible(chromedp.ID("send")),
		chromedp.Click(chromedp.ID("config-example-menu"))); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.getElementById("config-text").value.includes('menu_style = "text"')`,
		chromedp.WithPollingTimeout(5*time.Second))); err != nil {
		t.Fatalf("the example does not offer the styles: %v", err)
	}
	poll := `(() => { const e = document.getElementById("config-text"); e.value = e.value.replace('menu_style = "text"', 'menu_style = "poll"'); return true; })()`
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](poll)); err != nil {
		t.Fatal(err)
	}
	applyConfig(t, ctx)
	own := map[string]string{"#phone": "+1 212 555 0178", "#name": "Ana", "#business": "", "#category": "", "#products": ""}
	sendAs(t, ctx, "own", own, "hi")
	// Only the poll's arrival shows options to tap.
	options, err := chromedp.Run(ctx, chromedp.Poll[[]string](`(() => { const o = [...document.querySelectorAll("#chat .msg.bot .options.poll .option")].map(b => b.textContent); return o.length ? o : null; })()`,
		chromedp.WithPollingTimeout(10*time.Second)))
	if err != nil || strings.Join(options, "|") != "○ Sales|○ Support|○ Something else" {
		t.Fatalf("the poll's options %q, %v; want the example's three", options, err)
	}
	replies := waitReplies(t, ctx, 2, 10*time.Second)
	if len(replies) != 2 || strings.Contains(replies[0], "Reply with a number") || replies[1] != "What can we help you with?" {
		t.Fatalf("replies %q; want the greeting without the list, then the poll's question", replies)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#chat .msg.bot .options.poll .option:nth-child(2)`))); err != nil {
		t.Fatal(err)
	}
	replies = waitReplies(t, ctx, 3, 10*time.Second)
	if len(replies) != 3 || replies[2] != "Thank you! Our support team will write to you here shortly." {
		t.Errorf("replies %q; want the support answer after the vote", replies)
	}
	waitFor(t, "the summary of the choice", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "operators"), "Chosen: Support") })
	waitFor(t, "the choice by the poll", 10*time.Second, func() bool { return strings.Contains(text(t, ctx, "trace"), "choice support by poll") })
	if chat := text(t, ctx, "chat"); !strings.Contains(chat, "● Support") {
		t.Errorf("the chat does not show the vote:\n%s", chat)
	}
	screenshot(t, ctx, "sandbox-poll")
}
