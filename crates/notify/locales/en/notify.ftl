# Notify pages, English.

## Services and their navigation
notify-services-title = Notification services
notify-services-lead = The services of { $organisation } that send emails, text messages and letters.
notify-services-none = Your organisation has no notification service yet. Ask a platform operator to create one.
notify-service-live = Live: sends to anyone.
notify-service-trial = Trial mode: sends only to the team and the guest list.
notify-back-to-services = All notification services
notify-service-nav-label = Pages of { $service }
notify-dashboard-title = Dashboard
notify-notifications-title = Sent notifications
notify-templates-title = Templates
notify-team-title = Team members
notify-guest-list-title = Guest list
notify-api-keys-title = API keys
notify-settings-title = Callbacks
notify-cancel = Cancel

## Channels, statuses and counts
notify-channel-email = email
notify-channel-sms = text message
notify-channel-letter = letter
notify-channel-plural-email = Emails
notify-channel-plural-sms = Text messages
notify-channel-plural-letter = Letters
notify-group-sending = Sending
notify-group-delivered = Delivered
notify-group-failed = Failed
notify-group-cancelled = Cancelled
notify-count-total = Total
notify-status-created = Created
notify-status-sending = Sending
notify-status-pending = Pending
notify-status-sent = Sent
notify-status-delivered = Delivered
notify-status-permanent-failure = Address does not exist
notify-status-temporary-failure = Inbox or phone not accepting messages
notify-status-technical-failure = Technical failure
notify-status-pending-virus-check = Checking for viruses
notify-status-virus-scan-failed = Virus found
notify-status-validation-failed = Rejected by validation
notify-status-accepted = Accepted by the printer
notify-status-received = Received
notify-status-cancelled = Cancelled
notify-status-returned-letter = Letter returned to sender

## Dashboard
notify-week-caption = Notifications of the last 7 days
notify-chart-title = Notifications per day, last 14 days
notify-chart-summary = Bar chart of the notifications sent each day over the last 14 days, by channel; the busiest day was { $day } with { $max }. The table below gives every number.
notify-chart-empty = Bar chart of the notifications sent each day over the last 14 days: none were sent.
notify-chart-table-hint = Each channel has its own pattern. The table below gives the same numbers.
notify-chart-table-caption = Notifications per day and channel, last 14 days
notify-failures-title = Failed deliveries
notify-failures-caption = The latest failed deliveries
notify-failures-none = No delivery has failed.
notify-failures-all = See every failed delivery

## Lists of notifications
notify-field-recipient = Recipient
notify-field-template = Template
notify-field-status = Status
notify-field-channel = Channel
notify-field-sent = Sent
notify-field-finished = Finished
notify-field-date = Date
notify-recipient-purged = No longer kept
notify-not-yet = Not yet
notify-template-unknown = Unknown template
notify-filter-all = All
notify-filter-apply = Show notifications
notify-notifications-caption = Sent notifications, newest first
notify-notifications-none = No notification matches.
notify-page-newest = Newest notifications
notify-page-older = Older notifications

## Team
notify-team-lead = Everyone in { $organisation } can use this service. Team members can always receive its messages, even in trial mode.
notify-team-caption = Team members
notify-team-manage = Add, change or disable team members in the back office

## Templates
notify-templates-caption = Templates of this service
notify-templates-none = This service has no template yet.
notify-templates-create = Create a template
notify-template-new-email = New email template
notify-template-new-sms = New text message template
notify-template-new-letter = New letter template
notify-template-edit-title = Template “{ $name }”
notify-template-saved = Version { $version } was saved. Messages now use it.
notify-template-old-version = You are looking at version { $version }. Saving it makes it the latest version.
notify-template-save = Save
notify-template-preview = Preview
notify-template-preview-pdf = Preview as PDF
notify-field-template-name = Template name
notify-field-template-name-hint = Your team sees this name; recipients do not.
notify-field-subject = Subject
notify-field-content = Message
notify-field-content-hint = Put personal details in double brackets, for example ((first name)). Use # for a heading, * for a bullet point and ^ for inset text.
notify-field-postage = Postage
notify-postage-first = First class
notify-postage-second = Second class
notify-postage-economy = Economy
notify-samples-legend = Sample details for the preview
notify-samples-hint = Leave a field empty to show its placeholder in the preview.
notify-preview-title = Preview
notify-preview-cannot = This message cannot be sent yet:
notify-preview-from = From
notify-preview-email-frame = Preview of the email
notify-preview-sms-label = Preview of the text message
notify-preview-letter-label = Preview of the letter
notify-preview-pdf-link = Open the saved version as a PDF
notify-preview-pdf-hint = “Preview as PDF” shows the letter as it will be printed, with a sample address.
notify-preview-empty = The message is empty.
notify-preview-sms-too-long = Text messages cannot be longer than { $limit } characters. This one is { $length } characters long.
notify-preview-email-too-long = Emails cannot be longer than { $limit } bytes. This one is { $length } bytes.
notify-preview-updated = The preview was updated.
notify-preview-failed = The preview could not be updated. Use the “Preview” button.
notify-sms-length-one = { $characters } characters, charged as { $fragments } text message.
notify-sms-length-other = { $characters } characters, charged as { $fragments } text messages.
notify-sms-fragments-hint = A text message holds 160 characters, or 70 if it uses a character that only Unicode has; longer messages are sent in parts of 153 (or 67) characters, each charged as one message.
notify-versions-title = Version history
notify-versions-caption = Every saved version, newest first
notify-field-version = Version
notify-field-saved = Saved
notify-field-saved-by = Saved by
notify-version-shown = Shown above
notify-version-view = View version { $version }
notify-by-system = Publica
notify-by-operator = A platform operator
notify-by-api-key = An API key

## API keys
notify-api-keys-caption = API keys of this service
notify-api-keys-none = This service has no API key yet.
notify-field-key-name = Key name
notify-field-key-name-hint = Name it after what uses it, for example “case management, production”.
notify-field-key-type = Type of key
notify-field-created = Created
notify-key-type-live = Live
notify-key-type-normal = Live
notify-key-type-team = Team and guest list
notify-key-type-test = Test
notify-key-type-hint-live = Sends to anyone, once the service is out of trial mode.
notify-key-type-hint-team = Sends only to team members and the guest list.
notify-key-type-hint-test = Pretends to send: nothing is delivered and nothing is charged.
notify-api-key-create = Create an API key
notify-api-key-created = API key “{ $name }” created
notify-api-key-once = This is the only time you will see the whole key: Publica does not show it again.
notify-api-key-label = The new API key
notify-api-key-copy = Select the key, copy it and store it in your application’s secret store now. If you lose it, create a new key and revoke this one.
notify-api-key-revoke = Revoke { $name }
notify-api-key-revoked = API key “{ $name }” was revoked. Requests made with it are refused.
notify-api-key-revoke-title = Revoke the API key “{ $name }”?
notify-api-key-revoke-warning = Anything that uses this key will no longer be able to send notifications. This cannot be undone.
notify-api-key-revoke-confirm = Yes, revoke this key

## Guest list
notify-guest-list-lead = People on the guest list can receive messages sent with a team key, and messages from a service in trial mode, as team members can.
notify-guest-list-trial = This service is in trial mode: it sends only to team members and the guest list.
notify-guest-list-none = The guest list is empty.
notify-guest-list-caption = Guest list
notify-field-guest-kind = Type
notify-field-guest = Email address or mobile number
notify-field-guest-hint = For example name@example.com or 07700 900123; numbers outside the UK start with their country code, such as +33.
notify-guest-kind-email = Email address
notify-guest-kind-mobile = Mobile number
notify-guest-add = Add to the guest list
notify-guest-added = The guest list was updated.
notify-guest-removed = The entry was removed from the guest list.
notify-guest-remove = Remove { $recipient }

## Callbacks
notify-callbacks-lead = Publica can post to your systems when a notification is delivered or fails, and when someone texts your service. Each post carries your bearer token, so your system knows it comes from Publica.
notify-callback-delivery-title = Delivery receipts
notify-callback-delivery-lead = Posted when a notification reaches a final status (delivered or failed).
notify-callback-delivery-save = Save the delivery receipts callback
notify-callback-delivery-remove = Stop delivery receipts
notify-callback-inbound-title = Received text messages
notify-callback-inbound-lead = Posted when someone sends a text message to your service’s number.
notify-callback-inbound-save = Save the received text messages callback
notify-callback-inbound-remove = Stop received text messages
notify-callback-inbound-no-number = This service has no number to receive text messages yet.
notify-callback-is-set = A callback is set, with a bearer token.
notify-callback-not-set = No callback is set.
notify-callback-saved = The callback was saved.
notify-callback-removed = The callback was removed.
notify-field-callback-url = Callback URL
notify-field-callback-url-hint = An https:// address of your system.
notify-field-callback-token = Bearer token
notify-field-callback-token-hint = At least 10 characters. It is stored sealed and never shown again: enter it each time you save.

## Errors in forms
notify-error-title = Error:
notify-error-summary = There is a problem
notify-error-template-name = Enter a name for the template
notify-error-template-subject = Enter a subject
notify-error-template-content = Enter the message
notify-error-template-postage = Choose first class, second class or economy postage
notify-error-key-name = Enter a name for the key, of at most 255 characters
notify-error-key-type = Choose the type of key
notify-error-guest-empty = Enter an email address or a mobile number
notify-error-guest-email = Enter an email address in the right format, like name@example.com
notify-error-guest-phone = Enter a mobile number in the right format, like 07700 900123 or +33 6 12 34 56 78
notify-error-callback-url = Enter a URL that starts with https://
notify-error-callback-token = Enter a bearer token of at least 10 characters

## Downloading a file sent by email
notify-file-title = Download your file
notify-file-from = { $service } sent you a file.
notify-file-name = File
notify-file-until = Available until
notify-file-email-label = Your email address
notify-file-email-hint = The address this file was sent to. We check it before you can download the file.
notify-file-confirm = Continue and download
notify-file-download = Download the file
notify-file-safety = Only open files you expected. If you did not expect this message, contact the sender through their usual address, not a link in the email.
notify-file-email-missing = Enter your email address
notify-file-email-wrong = This is not the email address the file was sent to. Check it and try again.
notify-file-gone-title = This file is no longer available
notify-file-unknown = There is no file at this address. Check the link in your email, or ask the sender to send the file again.
notify-file-expired = The sender kept this file for a limited time, and that time is over. Ask the sender to send it again.
notify-file-blocked-title = Too many attempts
notify-file-blocked = The email address was entered wrongly too many times. Wait 15 minutes, then try again.
