-- Each invoice's balance as known on $as_of: payments dated up to then, credit notes issued up to then.
-- Open invoices, plus those settled in the last 60 days (so a reminder due on them is recorded as
-- suppressed with the reason paid or credited).
with invoices as (
    select invoice_number, customer_id, issue_date, due_date, amount_incl_tax, currency
    from staging.invoices
    where document_type = 'invoice'
      and issue_date <= $as_of
),

payments as (
    select invoice_number, sum(amount) as paid_amount, max(payment_date) as last_paid_on
    from staging.payments
    where invoice_number is not null
      and payment_date <= $as_of
    group by invoice_number
),

credits as (
    select original_invoice_number as invoice_number,
           sum(abs(amount_incl_tax)) as credited_amount,
           max(issue_date) as last_credited_on
    from staging.invoices
    where document_type = 'credit_note'
      and original_invoice_number is not null
      and issue_date <= $as_of
    group by original_invoice_number
),

balances as (
    select
        invoices.invoice_number,
        invoices.customer_id,
        invoices.issue_date,
        invoices.due_date,
        invoices.amount_incl_tax::decimal(18, 2) as amount,
        coalesce(payments.paid_amount, 0)::decimal(18, 2) as paid_amount,
        coalesce(credits.credited_amount, 0)::decimal(18, 2) as credited_amount,
        (invoices.amount_incl_tax - coalesce(payments.paid_amount, 0)
            - coalesce(credits.credited_amount, 0))::decimal(18, 2) as open_amount,
        invoices.currency,
        greatest(payments.last_paid_on, credits.last_credited_on) as last_settlement_on
    from invoices
    left join payments using (invoice_number)
    left join credits using (invoice_number)
)

select
    invoice_number,
    customer_id,
    issue_date,
    due_date,
    amount,
    paid_amount,
    credited_amount,
    open_amount,
    currency,
    case
        when open_amount <= 0 and credited_amount >= amount then 'credited'
        when open_amount <= 0 and credited_amount > paid_amount then 'credited'
        when open_amount <= 0 then 'paid'
        when paid_amount > 0 or credited_amount > 0 then 'partially_paid'
        else 'open'
    end as status
from balances
where open_amount > 0
   or last_settlement_on >= $as_of - interval 60 day
order by customer_id, due_date, invoice_number
