package greenapi

// MessageKind says what a message notification is to a conversation:
// something a person wrote, an answer to something the account sent, or an
// event about a message that came before.
type MessageKind int

// The kinds of message.
const (
	// KindMessage is something a person wrote or sent: a text, a reply,
	// media, a location, a contact, a poll, a group invitation, a message
	// with buttons. It may start a conversation.
	KindMessage MessageKind = iota
	// KindAnswer is an answer to something the account sent: a button
	// pressed, a list item chosen, a vote in a poll. It never starts a
	// conversation: what it answers came first.
	KindAnswer
	// KindEvent is about an earlier message: an edit, a deletion, a
	// reaction. It never starts a conversation, and nobody wrote anything
	// new; an edit's new text is still readable (MessageText).
	KindEvent
)

// String returns the kind's name, for logs and traces.
func (k MessageKind) String() string {
	switch k {
	case KindAnswer:
		return "answer"
	case KindEvent:
		return "event"
	}
	return "message"
}

// Kind returns what the message is. A typeMessage this package does not
// know is a KindMessage: a new kind of content is more likely something a
// person sent than an event, and a person who wrote must not go unanswered.
func (d *MessageData) Kind() MessageKind {
	switch d.Message.(type) {
	case *EditedMessage, *DeletedMessage, *ReactionMessage:
		return KindEvent
	case *ButtonsResponseMessage, *TemplateButtonsReplyMessage, *ListResponseMessage, *PollUpdateMessage:
		return KindAnswer
	}
	return KindMessage
}
