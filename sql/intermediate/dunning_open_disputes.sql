-- Disputes from the ERP export that are open on $as_of (opened, not yet resolved).
with open_disputes as (
    select invoice_number, customer_id, opened_on, reason
    from staging.disputes
    where opened_on <= $as_of
      and (resolved_on is null or resolved_on > $as_of)
)

select * from open_disputes
order by invoice_number
