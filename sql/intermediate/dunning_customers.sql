-- The customer attributes dunning selects policies and channels on.
with customers as (
    select
        customer_id,
        name,
        email,
        language,
        timezone,
        segment,
        tags,
        preferred_channel,
        fallback_channels,
        address_line1,
        address_line2,
        postcode,
        city,
        country,
        on_hold
    from staging.customers
)

select * from customers
order by customer_id
