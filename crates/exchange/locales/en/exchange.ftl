exchange-title = Data exchange

## The person's preview of an evidence request
exchange-evidence-title = Share your data?
exchange-evidence-lead = { $requester } asks for data about you. This page shows who is asking, why, and what would be sent.
exchange-evidence-who = Who is asking
exchange-evidence-organisation = Organisation
exchange-evidence-service = Service
exchange-evidence-system = Information system
exchange-evidence-reason = Why they need it
exchange-evidence-purpose = Purpose
exchange-evidence-legal-basis = Legal basis
exchange-evidence-what = What would be sent
exchange-evidence-source = From { $provider }, through the e-service “{ $eservice }”.
exchange-evidence-items = Data items
exchange-evidence-data = Your data
exchange-evidence-item = Item
exchange-evidence-value = Value
exchange-evidence-cut = Only the first part of the data is shown here.
exchange-evidence-opaque = The data is a file ({ $type }, { $bytes } bytes) that cannot be shown here.
exchange-evidence-yes = Yes
exchange-evidence-no = No
exchange-evidence-none = None
exchange-evidence-deadline = Decide before { $deadline }. Nothing is sent unless you agree.
exchange-evidence-decide = Your decision
exchange-evidence-approve = Agree and send this data
exchange-evidence-refuse = Do not send
exchange-evidence-back = Go back to the service
exchange-evidence-bad-decision = Choose whether to send the data or not.
exchange-evidence-changed = Your data was loaded again in another window. Check it here and decide again.
exchange-evidence-no-data = { $provider } has no data to send for this request. You can only go back to the service.
exchange-evidence-not-yours = This data is not about you, so it cannot be sent. You can only go back to the service.
exchange-evidence-closed = The service can no longer receive this data: its e-service or its authorisation has ended.
exchange-evidence-failed = { $provider } did not answer. Reload this page in a few minutes, or go back to the service.
exchange-evidence-other-title = This request is for someone else
exchange-evidence-other-body = You are signed in as a person this request is not about, so it is not shown to you. If a service sent you here to share your own data, sign in with your own account.
exchange-evidence-other-sign-in = Sign in with another account
exchange-evidence-unavailable-title = Signing in is not available
exchange-evidence-unavailable-body = To see the data a service asks for and decide whether to send it, you must sign in with a verified identity. Signing in is not offered here at the moment.
exchange-evidence-unavailable-later = Nothing has been sent. Try again later, or go back to the service that sent you here.
exchange-evidence-approved-title = You agreed to send your data
exchange-evidence-approved-body = Your data is sent once to { $organisation } and appears in your data-usage log.
exchange-evidence-refused-title = You refused to send your data
exchange-evidence-refused-body = Nothing was sent to { $organisation }.
exchange-evidence-expired-title = This request has expired
exchange-evidence-expired-body = Nobody decided in time, so nothing was sent to { $organisation }. Go back to the service to ask again.

## Civil servants' pages: navigation and shared words
exchange-nav-label = Data exchange
exchange-nav-overview = Overview
exchange-breadcrumbs = You are here
exchange-none = None
exchange-unlimited = Unlimited
exchange-calls-a-day =
    { $plural ->
        [one] { $count } call a day
       *[other] { $count } calls a day
    }
exchange-seconds =
    { $plural ->
        [one] { $count } second
       *[other] { $count } seconds
    }
exchange-days =
    { $plural ->
        [one] { $count } day
       *[other] { $count } days
    }
exchange-bytes =
    { $plural ->
        [one] { $count } byte
       *[other] { $count } bytes
    }
exchange-not-sent = Not sent
exchange-not-confidential = No: the people concerned see these calls at once
exchange-details-title = Details
exchange-actions-title = What you can do
exchange-actions-none = Your organisation cannot take any step on this now.
exchange-history-title = History
exchange-history-caption = Every step, oldest first
exchange-history-created = Created
exchange-side-provider = Provider
exchange-side-consumer = Consumer
exchange-suspended-by-provider = Suspended by the provider
exchange-suspended-by-consumer = Suspended by the consumer
exchange-actor-api-key = An API key of the organisation
exchange-actor-system = Publica, automatically
exchange-actor-operator = The platform operator
exchange-member-class-gov = Public body
exchange-member-class-com = Business
exchange-error-title = Error:
exchange-error-summary = There is a problem

## States
exchange-state-pending = Pending
exchange-state-active = Active
exchange-state-suspended = Suspended
exchange-state-rejected = Rejected
exchange-state-archived = Archived
exchange-state-waiting-for-approval = Waiting for approval
exchange-eservice-state-active = Active
exchange-eservice-state-suspended = Suspended

## Fields
exchange-field-actions = Actions
exchange-field-agreement = Agreement
exchange-field-approval = Approval of agreements
exchange-field-attributes = Attributes
exchange-field-audience = Voucher audience (aud)
exchange-field-backend = Back end
exchange-field-by = By
exchange-field-client = Client
exchange-field-client-hint = The calling subsystem, exactly: INSTANCE/CLASS/MEMBER/SUBSYSTEM, for example DL/GOV/70000001/tax-assessment.
exchange-field-client-id = X-Road client identifier
exchange-field-code = Code
exchange-field-confidential-days = Hidden from the people concerned for (days, optional)
exchange-field-confidential-days-hint = Only for investigations that must not be tipped off: the calls appear in people's data-usage log after this many days (1 to 3650). Leave empty otherwise.
exchange-field-consumer = Consumer
exchange-field-created = Created
exchange-field-daily-calls = Expected calls a day
exchange-field-daily-calls-hint = A whole number, at least 1. This is also the most calls a day this purpose allows.
exchange-field-date-hint = A date (2025-03-31) or a date and time in UTC (2025-03-31T14:30).
exchange-field-description = Description
exchange-field-description-hint = Optional. What the data is used for, in a few sentences.
exchange-field-entry-hash = Entry hash (SHA-512)
exchange-field-eservice = E-service
exchange-field-from = From
exchange-field-from-state = From
exchange-field-gateway-path = Gateway path
exchange-field-id = Identifier
exchange-field-issue = Case (X-Road-Issue)
exchange-field-legal-basis = Legal basis
exchange-field-legal-basis-hint = The law that allows the processing, for example: Demoland Income Tax Act, s. 12.
exchange-field-member-class = Member class
exchange-field-member-code = Member code
exchange-field-member-id = X-Road member identifier
exchange-field-method = Method
exchange-field-parameters = Parameters
exchange-field-path = Path
exchange-field-prev-hash = Hash of the entry before (SHA-512)
exchange-field-provider = Provider
exchange-field-published = Published
exchange-field-purpose = Purpose
exchange-field-purpose-agreement = E-service
exchange-field-purpose-agreement-hint = One of your active agreements: the e-service and the subsystem that calls it.
exchange-field-purpose-id = Purpose identifier (purposeId)
exchange-field-quota-consumer = Quota per consumer
exchange-field-quota-total = Quota for all consumers
exchange-field-reason = Reason
exchange-field-reason-optional = Reason (optional)
exchange-field-reason-required = Reason (required)
exchange-field-request = Request
exchange-field-request-hash = Request hash (SHA-512, X-Road-Request-Hash)
exchange-field-request-id = Request identifier
exchange-field-request-id-hint = The X-Road-Id of the call, exactly.
exchange-field-requested = Requested
exchange-field-required-attributes = Required attributes
exchange-field-response-hash = Response hash (SHA-512)
exchange-field-responses = Answers
exchange-field-seq = Entry
exchange-field-service = Service
exchange-field-service-hint = The service called, exactly: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE, for example DL/GOV/70000002/population/persons.
exchange-field-service-id = X-Road service identifier
exchange-field-state = State
exchange-field-status = HTTP status
exchange-field-status-hint = The status answered, for example 200 or 404.
exchange-field-subsystem = Subsystem
exchange-field-summary = Summary
exchange-field-title = Title
exchange-field-to = To
exchange-field-to-hint = Up to and including this date, or before this date and time in UTC.
exchange-field-to-state = To
exchange-field-updated = Last changed
exchange-field-user-id = User (X-Road-UserId)
exchange-field-voucher-lifetime = Voucher lifetime
exchange-field-when = When
exchange-field-your-side = Your organisation is

## Form problems
exchange-error-agreement = Choose one of your active agreements.
exchange-error-client = Enter a client as INSTANCE/CLASS/MEMBER/SUBSYSTEM, for example DL/GOV/70000001/tax-assessment.
exchange-error-confidential-days = Enter a whole number of days from 1 to 3650, or leave it empty.
exchange-error-daily-calls = Enter the expected calls a day as a whole number, at least 1.
exchange-error-date = Enter a date like 2025-03-31, or a date and time like 2025-03-31T14:30.
exchange-error-date-order = The end must be after the start.
exchange-error-legal-basis = Enter the legal basis.
exchange-error-reason = Say why: a rejection needs a reason.
exchange-error-request-id = A request identifier has at most 200 characters.
exchange-error-service = Enter a service as INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE, for example DL/GOV/70000002/population/persons.
exchange-error-status = Enter an HTTP status from 100 to 599.
exchange-error-subsystem = Choose one of your subsystems.
exchange-error-purpose-title = Enter a title.

## Steps
exchange-step-approve = Approve
exchange-step-reject = Reject
exchange-step-suspend = Suspend
exchange-step-reactivate = Reactivate
exchange-step-activate = Activate
exchange-step-archive = Archive
exchange-step-form-link = { $step }…
exchange-agreement-hint-approve = The consumer subsystem may ask for vouchers for this e-service as soon as it has a purpose.
exchange-agreement-hint-reject = The request is closed. The consumer sees your reason.
exchange-agreement-hint-suspend = No vouchers are issued and calls are refused until your organisation reactivates it.
exchange-agreement-hint-reactivate = Lifts your organisation's suspension. A suspension by the other party stays.
exchange-agreement-hint-archive = Ends the agreement for good. Its purposes can no longer be used.
exchange-purpose-hint-approve = The consumer may ask for vouchers for this purpose, up to its daily calls.
exchange-purpose-hint-suspend = No vouchers are issued for this purpose until your organisation activates it again.
exchange-purpose-hint-activate = Lifts your organisation's suspension. A suspension by the other party stays.
exchange-purpose-hint-archive = Ends the purpose for good.
exchange-done-requested = The agreement was requested.
exchange-done-created = The purpose was declared.
exchange-done-approve = Approved.
exchange-done-reject = Rejected.
exchange-done-suspend = Suspended.
exchange-done-reactivate = Reactivated.
exchange-done-activate = Activated.
exchange-done-archive = Archived.

## Overview
exchange-overview-lead = What { $org } provides and uses in the data exchange.
exchange-overview-member-title = Your organisation in the exchange
exchange-overview-not-member = Your organisation has no X-Road member identifier yet: it gets one when it registers its first subsystem.
exchange-overview-waiting-title = Waiting for a decision
exchange-overview-inbox = Agreement requests waiting for your decision
exchange-overview-purposes = Purposes waiting for your approval
exchange-overview-requested = Your requests waiting for providers
exchange-overview-provided-title = E-services your organisation provides
exchange-overview-links-title = Go to
exchange-overview-api = Management API
exchange-overview-api-lead = The same operations for your systems, with an API key of the exchange block.
exchange-subsystems-title = Subsystems
exchange-subsystems-lead = Your organisation's information systems: they provide e-services, call them, or both.
exchange-subsystems-none = Your organisation has no subsystem yet. Register one through the management API.
exchange-subsystems-caption = Your organisation's subsystems

## Catalogue
exchange-catalogue-title = Catalogue
exchange-catalogue-lead = Every active e-service, and what you need to know to use it.
exchange-catalogue-none = No e-service is published yet.
exchange-catalogue-count =
    { $plural ->
        [one] { $count } active e-service
       *[other] { $count } active e-services
    }
exchange-approval-automatic = Automatic
exchange-approval-automatic-hint = Active at once when your organisation holds the required attributes; otherwise the provider decides.
exchange-approval-manual = By the provider
exchange-approval-manual-hint = The provider approves or rejects each request.
exchange-backend-registry-person = The population register: a person's current record
exchange-backend-registry-business = The business register: a business's current record
exchange-backend-person-checks = The population register: yes/no answers only
exchange-backend-http = The provider's own service
exchange-eservice-descriptor-title = Descriptor
exchange-eservice-suspended-notice = The provider has suspended this e-service: it answers no calls and accepts no new agreements.
exchange-openapi-title = What it answers
exchange-openapi-document = Description:
exchange-openapi-version = version { $version }
exchange-openapi-lead = Paths follow the gateway path /r1/{ $prefix }.
exchange-openapi-none = The provider has not described the paths of this e-service.
exchange-openapi-caption = Operations of { $eservice }
exchange-openapi-required = Parameters marked * are required.
exchange-openapi-raw = The OpenAPI description (JSON)
exchange-eservice-own-title = Your organisation's agreements for it
exchange-eservice-own-none = None of your subsystems has an agreement for this e-service.
exchange-eservice-own-item = For { $subsystem }
exchange-request-title = Request an agreement
exchange-request-hint = The subsystem that will call this e-service.
exchange-request-no-subsystem = Your organisation needs a subsystem before it can request an agreement. Register one through the management API.
exchange-request-submit = Request the agreement

## Agreements
exchange-agreements-title = Agreements
exchange-agreements-lead = Who may call which e-service: requests to your organisation, and its own agreements.
exchange-agreements-inbox-title = Requests to use your e-services
exchange-agreements-inbox-lead = Pending requests come first.
exchange-agreements-inbox-none = Nobody has asked to use your organisation's e-services.
exchange-agreements-inbox-caption = Agreements for your e-services
exchange-agreements-own-title = Your organisation's agreements
exchange-agreements-own-lead = Agreements of your subsystems with other providers' e-services.
exchange-agreements-own-catalogue = Find an e-service in the catalogue
exchange-agreements-own-none = Your organisation has no agreement yet.
exchange-agreements-own-caption = Agreements of your subsystems
exchange-agreement-title = Agreement for { $eservice }
exchange-agreement-lead = For the subsystem { $subsystem }.

## Purposes
exchange-purposes-title = Purposes
exchange-purposes-lead = Why data is read, on which legal basis, and how often. Every call names its purpose.
exchange-purposes-own-title = Your organisation's purposes
exchange-purposes-own-none = Your organisation has declared no purpose yet.
exchange-purposes-own-caption = Purposes of your subsystems
exchange-purposes-provided-title = Purposes for your e-services
exchange-purposes-provided-lead = Purposes waiting for your approval come first: they need more calls than your quotas have left.
exchange-purposes-provided-none = No purpose has been declared for your organisation's e-services.
exchange-purposes-provided-caption = Purposes for your e-services
exchange-purpose-create-title = Declare a purpose
exchange-purpose-create-lead = A purpose is active at once when its calls fit in the e-service's quotas; otherwise the provider decides.
exchange-purpose-create-no-agreement = Your organisation needs an active agreement before it can declare a purpose.
exchange-purpose-create-submit = Declare the purpose
exchange-purpose-agreement-option = { $eservice } ({ $service }), called by { $subsystem }
exchange-purpose-lead = A purpose for { $eservice }.

## Message log
exchange-log-title = Message log
exchange-log-lead = Every call through the exchange, signed and hash-chained, newest first.
exchange-log-scope-member = You see the calls your organisation made or answered.
exchange-log-scope-operator = As the platform operator, you see every call.
exchange-log-verify-title = Integrity
exchange-log-verify-hint = Checks every entry's hash and link and every signed batch. On a large log this takes a while.
exchange-log-verify-submit = Verify the message log
exchange-log-verify-intact = The log is intact.
exchange-log-verify-tampered = The log has been tampered with.
exchange-log-filter-title = Filter
exchange-log-filter-submit = Show entries
exchange-log-filter-clear = Clear the filters
exchange-log-entries-title = Entries
exchange-log-none = No entry matches.
exchange-log-count =
    { $plural ->
        [one] { $count } entry on this page
       *[other] { $count } entries on this page
    }
exchange-log-caption = Calls, newest first
exchange-log-pages = More entries
exchange-log-newest = Newest entries
exchange-log-older = Older entries
exchange-log-entry-title = Entry { $seq }
exchange-log-call-title = The call
exchange-log-hashes-title = Hashes
exchange-log-hashes-lead = Base64. The request and response hashes prove what was exchanged; the entry hash chains it to the entries before it.
exchange-log-bodies-title = Bodies
exchange-log-bodies-none = The bodies of this call were not kept: only their hashes are.
exchange-log-request-body = Request body
exchange-log-response-body = Response body
exchange-log-body-empty = Not kept.
exchange-log-body-base64 = not text, shown in Base64
