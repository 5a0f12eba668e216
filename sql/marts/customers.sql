-- Every customer with its balance as of the run: customers exported in a customer file and customers
-- only known from their invoices (with the fields the export did not give left empty).
with customers as (
    select * from staging.customers
),

invoice_only_customers as (
    select distinct customer_id
    from staging.invoices
    where customer_id is not null and customer_id not in (select customer_id from customers)
),

all_customers as (
    select * from customers
    union all by name
    select customer_id from invoice_only_customers
),

balances as (
    select
        customer_id,
        sum(open_amount) as open_amount,
        sum(case when is_late and status in ('open', 'partially_paid') then open_amount else 0 end)
            as overdue_amount,
        count(*) filter (where document_type = 'invoice') as invoice_count
    from marts.invoices
    group by customer_id
)

select
    all_customers.*,
    cast(coalesce(balances.open_amount, 0) as decimal(18, 2)) as open_amount,
    cast(coalesce(balances.overdue_amount, 0) as decimal(18, 2)) as overdue_amount,
    coalesce(balances.invoice_count, 0) as invoice_count
from all_customers
left join balances on balances.customer_id = all_customers.customer_id
