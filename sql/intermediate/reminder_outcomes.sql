-- One row per reminder sent on or before $as_of (a `reminded` event), with what happened next: whether the
-- invoice was settled within $reminder_window_days days, and after how many days. A reminder whose window
-- has not fully elapsed on $as_of and whose invoice is still open is not yet observable.
with reminders as (
    select
        invoice_number,
        customer_id,
        reminder_step,
        coalesce(channel, 'unknown') as channel,
        coalesce(json_extract_string(evidence, '$.variant'), 'none') as variant,
        occurred_at as reminded_at,
        (occurred_at at time zone 'UTC')::date as reminded_on
    from staging.events
    where event_type = 'reminded'
      and (occurred_at at time zone 'UTC')::date <= $as_of::date
)

select
    reminders.invoice_number,
    reminders.customer_id,
    reminders.reminder_step,
    reminders.channel,
    reminders.variant,
    reminders.reminded_at,
    reminders.reminded_on,
    invoices.due_date,
    invoices.amount,
    invoices.settled_on,
    invoices.settled_on - reminders.reminded_on as days_to_pay_after_reminder,
    coalesce(invoices.settled_on <= reminders.reminded_on + $reminder_window_days::integer, false)
        as paid_within_window,
    coalesce(invoices.settled_on <= reminders.reminded_on + $reminder_window_days::integer, false)
        or reminders.reminded_on + $reminder_window_days::integer <= $as_of::date as observable
from reminders
inner join intermediate.analytics_invoices as invoices using (invoice_number)
-- a reminder that crossed the payment in the post says nothing about the reminder's effect
where invoices.settled_on is null or invoices.settled_on >= reminders.reminded_on
