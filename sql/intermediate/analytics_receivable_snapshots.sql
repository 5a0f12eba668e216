-- Receivables as they stood at each month end up to $as_of (the last one is $as_of itself) and at the start
-- of the KPI period ($as_of minus $period_days), for the collection effectiveness index and the trends.
with invoices as (
    select invoice_number, issue_date, due_date, amount_incl_tax, settled_date
    from marts.invoices
    where document_type = 'invoice'
      and issue_date <= $as_of::date
),

snapshot_dates as (
    select distinct snapshot_date
    from (
        select least(last_day(month_start::date), $as_of::date) as snapshot_date
        from range(
            date_trunc('month', (select min(issue_date) from invoices))::timestamp,
            ($as_of::date + interval 1 day)::timestamp,
            interval 1 month
        ) as months (month_start)
        union all
        select $as_of::date - $period_days::integer
    ) as candidate_dates
),

payments as (
    select invoice_number, payment_date, amount
    from staging.payments
    where invoice_number is not null
),

credit_notes as (
    select original_invoice_number as invoice_number, issue_date, abs(amount_incl_tax) as amount
    from marts.invoices
    where document_type = 'credit_note' and original_invoice_number is not null
),

balances as (
    select
        snapshot_dates.snapshot_date,
        invoices.invoice_number,
        invoices.due_date,
        case
            when invoices.settled_date <= snapshot_dates.snapshot_date then 0
            else greatest(
                invoices.amount_incl_tax
                - coalesce((select sum(payments.amount) from payments
                            where payments.invoice_number = invoices.invoice_number
                              and payments.payment_date <= snapshot_dates.snapshot_date), 0)
                - coalesce((select sum(credit_notes.amount) from credit_notes
                            where credit_notes.invoice_number = invoices.invoice_number
                              and credit_notes.issue_date <= snapshot_dates.snapshot_date), 0),
                0)
        end::decimal(18, 2) as open_amount
    from snapshot_dates
    inner join invoices on invoices.issue_date <= snapshot_dates.snapshot_date
)

select
    snapshot_date,
    sum(open_amount)::decimal(18, 2) as receivable_amount,
    coalesce(sum(open_amount) filter (where due_date >= snapshot_date), 0)::decimal(18, 2) as current_amount,
    coalesce(sum(open_amount) filter (where due_date < snapshot_date), 0)::decimal(18, 2) as overdue_amount,
    count(*) filter (where open_amount > 0) as open_invoices
from balances
group by snapshot_date
