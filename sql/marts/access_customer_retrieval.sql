-- Per customer, over its invoices (credit notes aside): how many were sent and retrieved, the retrieval
-- rate of sent invoices, the share of all its invoices never retrieved, and how fast it retrieves.
with retrieval as (
    select * from marts.access_invoice_retrieval
    where document_type = 'invoice'
),

customers as (
    select customer_id, name from staging.customers
),

per_customer as (
    select
        customer_id,
        count(*) as invoices,
        count(sent_at) as invoices_sent,
        count(*) filter (where is_retrieved) as invoices_retrieved,
        count(*) filter (where is_retrieved and sent_at is not null) as sent_invoices_retrieved,
        count(*) filter (where not is_retrieved) as invoices_never_retrieved,
        count(*) filter (where retrieved_before_due and sent_at is not null) as retrieved_before_due,
        median(hours_to_retrieval) as median_hours_to_retrieval,
        max(first_retrieved_at) as last_retrieved_at
    from retrieval
    group by customer_id
)

select
    per_customer.customer_id,
    customers.name as customer_name,
    per_customer.invoices,
    per_customer.invoices_sent,
    per_customer.invoices_retrieved,
    per_customer.invoices_never_retrieved,
    case when invoices_sent > 0
        then round(sent_invoices_retrieved / invoices_sent, 4)::decimal(9, 4) end as retrieval_rate,
    round(invoices_never_retrieved / invoices, 4)::decimal(9, 4) as never_retrieved_share,
    case when invoices_sent > 0
        then round(retrieved_before_due / invoices_sent, 4)::decimal(9, 4) end as retrieved_before_due_rate,
    round(median_hours_to_retrieval, 2)::decimal(12, 2) as median_hours_to_retrieval,
    per_customer.last_retrieved_at
from per_customer
left join customers on customers.customer_id = per_customer.customer_id
order by per_customer.customer_id
