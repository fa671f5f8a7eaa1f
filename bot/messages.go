package bot

import "github.com/nicksnyder/go-i18n/v2/i18n"

// Message ids of the built-in templates. Rules may name any other id that
// the locale files define.
const (
	MsgGreetingCatalogue = "greeting_catalogue"
	MsgGreetingBusiness  = "greeting_business"
	MsgGreetingNamed     = "greeting_named"
	MsgGreetingGeneric   = "greeting_generic"
	MsgMoreProducts      = "more_products"
	MsgOperatorSummary   = "operator_summary"
	// An example menu: its options' labels and an answer (README).
	MsgChoiceSales   = "choice_sales"
	MsgChoiceSupport = "choice_support"
	MsgChoiceOther   = "choice_other"
	MsgSupportAnswer = "support_answer"
)

// builtinMessages declares every built-in message once, with its English
// text and a description for translators, so that `goi18n extract` finds
// them. The locale files may override every one of them.
func builtinMessages() []*i18n.Message {
	return []*i18n.Message{
		{
			ID:          MsgGreetingCatalogue,
			Description: "Reply to a new sender that is a business with a product catalogue. .ProductCount is the number of visible products (plural), .Products the products listed, .Name the business name (may be empty).",
			One:         "Hello{{if .Name}}, {{.Name}}{{end}}! Thank you for writing to us. We see {{.ProductCount}} product in your catalogue:\n{{range .Products}}• {{.Name}}{{if .Price}} ({{.Price}}){{end}}\n{{end}}How can we help?",
			Other:       "Hello{{if .Name}}, {{.Name}}{{end}}! Thank you for writing to us. We see {{.ProductCount}} products in your catalogue:\n{{range .Products}}• {{.Name}}{{if .Price}} ({{.Price}}){{end}}\n{{end}}How can we help?",
		},
		{
			ID:          MsgGreetingBusiness,
			Description: "Reply to a new sender that is a business without products. .Category is its business category, .Name its name (may be empty).",
			Other:       "Hello{{if .Name}}, {{.Name}}{{end}}! Thank you for writing to us. We see you work in {{.Category}}. How can we help your business?",
		},
		{
			ID:          MsgGreetingNamed,
			Description: "Reply to a new sender whose name we know. .Name is the name.",
			Other:       "Hello, {{.Name}}! Thank you for your message. How can we help?",
		},
		{
			ID:          MsgGreetingGeneric,
			Description: "Reply to a new sender we know nothing about.",
			Other:       "Hello! Thank you for your message. How can we help?",
		},
		{
			ID:          MsgMoreProducts,
			Description: "Added under a product list that was cut short. .Count is the number of products not shown (plural).",
			One:         "…and {{.Count}} more product",
			Other:       "…and {{.Count}} more products",
		},
		{
			ID:          MsgAway,
			Description: "The away reply, while the business is closed ([hours] of the rules file). .NextOpen is when it opens next, from next_open.",
			Other:       "Thank you for your message! We are closed now and will answer when we open {{.NextOpen}}.",
		},
		{
			ID:          MsgWeekdays,
			Description: "The seven days as next_open puts them in a sentence (with their preposition), from Sunday, separated by commas.",
			Other:       "on Sunday, on Monday, on Tuesday, on Wednesday, on Thursday, on Friday, on Saturday",
		},
		{
			ID:          MsgNextOpen,
			Description: "When the business opens next: .Weekday is a day of weekdays, .Time the time (HH:MM, the business's time zone).",
			Other:       "{{.Weekday}} at {{.Time}}",
		},
		{
			ID:          MsgLanguageQuestion,
			Description: "The question of the language choice sent as a poll, or the text above its buttons ([languages] menu_style \"poll\" or \"buttons\"); the languages, each in its own language, are the options.",
			Other:       "Prefer another language?",
		},
		{
			ID:          MsgLanguageMenu,
			Description: "Added under the greeting when the rules file offers other languages ([languages]). .Options is the list, one numbered language a line, each in its own language.",
			Other:       "Prefer another language? Reply with its number:\n{{.Options}}",
		},
		{
			ID:          MsgChoiceMenu,
			Description: "Ends a greeting whose rule offers choices ([[rule.choice]]). .Options is the list, one numbered choice a line.",
			Other:       "Reply with a number:\n{{.Options}}",
		},
		{
			ID:          MsgChoiceQuestion,
			Description: "The question of a menu sent as a poll, or the text above its buttons (menu_style \"poll\" or \"buttons\"); the labels are the options.",
			Other:       "What can we help you with?",
		},
		{
			ID:          MsgChoiceHint,
			Description: "Sent once to a sender whose reply to the menu chose nothing. .Options is the list, one numbered choice a line.",
			Other:       "To reach the right person, reply with the number of your choice:\n{{.Options}}",
		},
		{
			ID:          MsgSummaryChosen,
			Description: "Added to the operator summary: what the sender chose from the menu. .Choice is the chosen option's label.",
			Other:       "Chosen: {{.Choice}}",
		},
		{
			ID:          MsgSummaryNoChoice,
			Description: "Added to the operator summary when the sender chose nothing from the menu in time. .Count is the minutes waited (plural).",
			One:         "No choice within {{.Count}} minute.",
			Other:       "No choice within {{.Count}} minutes.",
		},
		{
			ID:          MsgChoiceSales,
			Description: "An example menu option (rules: [[rule.choice]] label): sales.",
			Other:       "Sales",
		},
		{
			ID:          MsgChoiceSupport,
			Description: "An example menu option (rules: [[rule.choice]] label): support for customers.",
			Other:       "Support",
		},
		{
			ID:          MsgChoiceOther,
			Description: "An example menu option (rules: [[rule.choice]] label): anything else.",
			Other:       "Something else",
		},
		{
			ID:          MsgSupportAnswer,
			Description: "An example answer to a menu option (rules: [[rule.choice]] reply). .NextOpen is when the business opens next, only while it is closed.",
			Other:       "Thank you! Our support team will write to you here{{if .NextOpen}} when we open {{.NextOpen}}{{else}} shortly{{end}}.",
		},
		{
			ID:          MsgOptOutWords,
			Description: "Words that, written alone as a message, stop every automatic message to the chat. Comma-separated; case does not matter. The words of every language are understood.",
			Other:       "STOP, UNSUBSCRIBE",
		},
		{
			ID:          MsgOptInWords,
			Description: "Words that, written alone by a sender who opted out, allow automatic messages again. Comma-separated.",
			Other:       "START",
		},
		{
			ID:          MsgOptOutConfirmation,
			Description: "Sent once to a sender who wrote a stop word. Name the start word of this language.",
			Other:       "You will receive no more automatic messages from us. A person will still answer what you write. To receive them again, write START.",
		},
		{
			ID:          MsgSummaryOptedOut,
			Description: "Added to the operator summary of a sender who opted out of automatic messages.",
			Other:       "The sender asked for no automatic messages.",
		},
		{
			ID:          MsgSummaryProfileUnknown,
			Description: "Added to the operator summary when the sender's profile could not be looked up. .Reason is why, a code such as timeout or server_error.",
			Other:       "Profile unknown ({{.Reason}}): forwarded so that no customer is missed.",
		},
		{
			ID:          MsgSummaryNotGreeted,
			Description: "Added to the operator summary when Green API refused the greeting for good: the sender got nothing. .Reason is why, a code such as quota_exceeded or rejected.",
			Other:       "The sender did not get the greeting: Green API refused it ({{.Reason}}). Please answer them.",
		},
		{
			ID:          MsgReminder,
			Description: "Sent to the chat that got a contact's summary when no person of the business answered the contact within answer_within. .Count is the minutes (plural); .Name .Phone .Category .Text (the first message) and .Called (the customer called and wrote nothing) as in the summary.",
			One:         "Still waiting for an answer after {{.Count}} minute: {{if .Name}}{{.Name}}{{else}}?{{end}}{{if .Phone}}, {{.Phone}}{{end}}{{if .Category}}, {{.Category}}{{end}} — {{if .Called}}a missed call{{else}}“{{.Text}}”{{end}}",
			Other:       "Still waiting for an answer after {{.Count}} minutes: {{if .Name}}{{.Name}}{{else}}?{{end}}{{if .Phone}}, {{.Phone}}{{end}}{{if .Category}}, {{.Category}}{{end}} — {{if .Called}}a missed call{{else}}“{{.Text}}”{{end}}",
		},
		{
			ID:          MsgEscalation,
			Description: "Sent to escalate_to when a contact is still unanswered after escalate_after. .Count is the minutes (plural); .Name .Phone .Category .Text (the first message) and .Called (the customer called and wrote nothing) as in the summary.",
			One:         "No one has answered for {{.Count}} minute: {{if .Name}}{{.Name}}{{else}}?{{end}}{{if .Phone}}, {{.Phone}}{{end}}{{if .Category}}, {{.Category}}{{end}} — {{if .Called}}a missed call{{else}}“{{.Text}}”{{end}}",
			Other:       "No one has answered for {{.Count}} minutes: {{if .Name}}{{.Name}}{{else}}?{{end}}{{if .Phone}}, {{.Phone}}{{end}}{{if .Category}}, {{.Category}}{{end}} — {{if .Called}}a missed call{{else}}“{{.Text}}”{{end}}",
		},
		{
			ID:          MsgHold,
			Description: "Sent once to a customer no person of the business has answered yet, with the operators' reminder (hold_message in the rules file).",
			Other:       "We have not forgotten you: a person will answer you here as soon as possible.",
		},
		{
			ID:          MsgClaimWords,
			Description: "Words that, written alone in the operators' chat as a reply quoting a contact's summary (or its reminder), take the contact for the one who wrote them. Comma-separated; case does not matter. The words of every language are understood.",
			Other:       "+, MINE, TAKE, TAKING",
		},
		{
			ID:          MsgClaimed,
			Description: "Sent once to the operators' chat when an operator takes a contact. .Operator is who took it; .Phone the customer's number.",
			Other:       "Taken by {{.Operator}}{{if .Phone}}: {{.Phone}}{{end}}",
		},
		{
			ID:          MsgClaimTaken,
			Description: "Sent to the operators' chat when someone tries to take a contact another operator has. .Operator is who has it; .Phone the customer's number.",
			Other:       "{{if .Phone}}{{.Phone}}{{else}}This contact{{end}} is already taken by {{.Operator}}.",
		},
		{
			ID:          MsgReminderClaimed,
			Description: "Added on a line of its own to the reminder and the escalation of a contact an operator took. .Operator is who took it.",
			Other:       "Taken by {{.Operator}}, who has not answered yet.",
		},
		{
			ID:          MsgDigest,
			Description: "The daily digest to the operators' chat (digest_at in the rules file). .Count is the day's new contacts (plural); .Answered how many of them a person answered; .Minutes their median wait in minutes; .Waiting the contacts still waiting for a person, one a line (empty: none).",
			One:         "Today: {{.Count}} new contact, {{.Answered}} answered by a person{{if .Answered}} (median wait {{.Minutes}} min){{end}}.{{if .Waiting}}\nStill waiting for an answer:\n{{.Waiting}}{{else}}\nNo one is waiting for an answer.{{end}}",
			Other:       "Today: {{.Count}} new contacts, {{.Answered}} answered by a person{{if .Answered}} (median wait {{.Minutes}} min){{end}}.{{if .Waiting}}\nStill waiting for an answer:\n{{.Waiting}}{{else}}\nNo one is waiting for an answer.{{end}}",
		},
		{
			ID:          MsgCallReply,
			Description: "Sent to a customer whose WhatsApp call to the business nobody picked up, at most once per NEW_SENDER_AFTER.",
			Other:       "We cannot take calls on this number — write your question here and we will answer.",
		},
		{
			ID:          MsgRatingQuestion,
			Description: "The follow-up question (rating in the rules file), sent once as a poll after a person of the business answered the customer and the chat fell silent; its options are 1 to 5 stars. At most 255 characters.",
			Other:       "How would you rate our answer?",
		},
		{
			ID:          MsgOperatorSummary,
			Description: "Summary of a new contact, sent to the operators' chat. Fields: .Name .Phone .Category .Description .Email .ProductCount .Products (up to five) .Rule .Tag .Text (the first message); .Called is set when the customer called, nobody picked up, and they wrote nothing (.Text is empty).",
			Other:       "New contact{{if .Name}}: {{.Name}}{{end}}\n{{if .Phone}}Phone: {{.Phone}}\n{{end}}{{if .Category}}Category: {{.Category}}\n{{end}}{{if .Description}}About: {{.Description}}\n{{end}}{{if .Email}}Email: {{.Email}}\n{{end}}{{if .ProductCount}}Products ({{.ProductCount}}): {{range $i, $p := .Products}}{{if $i}}, {{end}}{{$p.Name}}{{end}}\n{{end}}Rule: {{.Rule}}{{if .Tag}}, tag: {{.Tag}}{{end}}\n{{if .Called}}Called on WhatsApp, nobody picked up: no message yet.{{else}}First message: {{.Text}}{{end}}",
		},
	}
}
