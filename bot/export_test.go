package bot

// BuiltinMessages are the messages goi18n extract finds.
var BuiltinMessages = builtinMessages
