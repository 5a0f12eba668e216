-- Each invoice and credit note with its settlement as of the run date ($as_of).
-- An invoice is settled on the day its payments plus the credit notes against it first cover its amount
-- (within half a cent). Credit notes not applied to an invoice are credit the customer holds: their open
-- amount is negative. days_late counts to the settled date, or to the run date while the invoice is open.
-- A payment exported without an invoice number is applied the way a credit manager would: to an invoice
-- of the same customer whose amount left after credit notes is exactly that, with nothing paid on it yet,
-- oldest due first, one payment per invoice (the n-th such payment of a customer and amount goes to the
-- n-th such invoice).
with invoices as (
    select * from staging.invoices
    -- a staging table written before billing_channel existed (or by a tool that leaves it out) reads as
    -- "not said": by-name union adds the column as null only when it is missing
    union all by name
    select
        null::varchar as billing_channel,
        -- the documents' columns (staging keeps them for the e-invoice; the receivable does not need them)
        null::decimal(18, 2) as discount_amount,
        null::decimal(18, 2) as shipping_amount,
        null::decimal(18, 2) as tax_amount_eur,
        null::decimal(18, 6) as exchange_rate,
        null::varchar as delivery_name,
        null::varchar as delivery_address_line1,
        null::varchar as delivery_address_line2,
        null::varchar as delivery_postcode,
        null::varchar as delivery_city,
        null::varchar as delivery_country
    where false
),

allocated_payments as (
    select invoice_number, payment_date, amount
    from staging.payments
    where invoice_number is not null and payment_date <= $as_of
),

unallocated_payments as (
    select
        customer_id,
        payment_date,
        amount,
        row_number() over (partition by customer_id, amount order by payment_date, payment_id) as match_rank
    from staging.payments
    where invoice_number is null and customer_id is not null and payment_date <= $as_of
),

credit_before_payment as (
    select original_invoice_number as invoice_number, sum(amount_incl_tax) as credited
    from invoices
    where document_type = 'credit_note' and original_invoice_number is not null and issue_date <= $as_of
    group by original_invoice_number
),

unpaid_invoices as (
    select
        invoices.invoice_number,
        invoices.customer_id,
        invoices.amount_incl_tax - coalesce(credit_before_payment.credited, 0) as remaining,
        row_number() over (
            partition by invoices.customer_id, invoices.amount_incl_tax - coalesce(credit_before_payment.credited, 0)
            order by invoices.due_date, invoices.issue_date, invoices.invoice_number
        ) as match_rank
    from invoices
    left join credit_before_payment on credit_before_payment.invoice_number = invoices.invoice_number
    where invoices.document_type = 'invoice'
        and invoices.invoice_number not in (select invoice_number from allocated_payments)
),

matched_payments as (
    select unpaid_invoices.invoice_number, unallocated_payments.payment_date, unallocated_payments.amount
    from unallocated_payments
    inner join unpaid_invoices
        on unpaid_invoices.customer_id = unallocated_payments.customer_id
        and unpaid_invoices.remaining = unallocated_payments.amount
        and unpaid_invoices.match_rank = unallocated_payments.match_rank
),

payments as (
    select invoice_number, payment_date as event_date, amount from allocated_payments
    union all
    select invoice_number, payment_date as event_date, amount from matched_payments
),

credits as (
    select original_invoice_number as invoice_number, issue_date as event_date, amount_incl_tax as amount
    from invoices
    where document_type = 'credit_note' and original_invoice_number is not null and issue_date <= $as_of
),

paid as (
    select invoice_number, sum(amount) as paid_amount
    from payments
    group by invoice_number
),

credited as (
    select invoice_number, sum(amount) as credited_amount
    from credits
    group by invoice_number
),

settlement_events as (
    select invoice_number, event_date, sum(amount) as amount
    from (
        select * from payments
        union all
        select * from credits
    ) as payments_and_credits
    group by invoice_number, event_date
),

running_totals as (
    select
        invoice_number,
        event_date,
        sum(amount) over (partition by invoice_number order by event_date rows unbounded preceding) as covered
    from settlement_events
),

settled as (
    select running_totals.invoice_number, min(running_totals.event_date) as settled_date
    from running_totals
    inner join invoices
        on invoices.invoice_number = running_totals.invoice_number and invoices.document_type = 'invoice'
    where running_totals.covered >= invoices.amount_incl_tax - 0.005
    group by running_totals.invoice_number
),

applied_credit_notes as (
    select invoice_number, true as is_applied
    from invoices
    where document_type = 'credit_note'
        and original_invoice_number in (
            select credited_invoices.invoice_number
            from invoices as credited_invoices
            where credited_invoices.document_type = 'invoice'
        )
),

settlement as (
    select
        invoices.*,
        coalesce(paid.paid_amount, 0)::decimal(18, 2) as paid_amount,
        coalesce(credited.credited_amount, 0)::decimal(18, 2) as credited_amount,
        settled.settled_date,
        coalesce(applied_credit_notes.is_applied, false) as is_applied_credit_note
    from invoices
    left join paid on paid.invoice_number = invoices.invoice_number and invoices.document_type = 'invoice'
    left join credited on credited.invoice_number = invoices.invoice_number and invoices.document_type = 'invoice'
    left join settled on settled.invoice_number = invoices.invoice_number and invoices.document_type = 'invoice'
    left join applied_credit_notes
        on applied_credit_notes.invoice_number = invoices.invoice_number and invoices.document_type = 'credit_note'
)

select
    * exclude (
        is_applied_credit_note, billing_channel, discount_amount, shipping_amount, tax_amount_eur, exchange_rate,
        delivery_name, delivery_address_line1, delivery_address_line2, delivery_postcode, delivery_city,
        delivery_country
    ),
    case
        when document_type = 'credit_note' and is_applied_credit_note then 0
        when document_type = 'credit_note' then -amount_incl_tax
        else greatest(amount_incl_tax - paid_amount - credited_amount, 0)
    end::decimal(18, 2) as open_amount,
    case
        when document_type = 'credit_note' then 'credited'
        when settled_date is not null and credited_amount >= amount_incl_tax then 'credited'
        when settled_date is not null then 'paid'
        when paid_amount > 0 then 'partially_paid'
        else 'open'
    end as status,
    case
        when document_type = 'credit_note' or due_date is null then null
        when settled_date is not null then greatest(settled_date - due_date, 0)
        else greatest(cast($as_of as date) - due_date, 0)
    end as days_late,
    coalesce(
        document_type = 'invoice' and due_date is not null
        and coalesce(settled_date, cast($as_of as date)) > due_date,
        false
    ) as is_late,
    -- how the export says this invoice was sent; last, so the settlement columns keep their positions
    billing_channel
from settlement
