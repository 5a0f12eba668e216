-- Per delivery channel: messages sent, delivered, bounced and rejected (invoices and reminders alike),
-- delivery and bounce rates, and for invoices first sent on the channel how fast customers retrieve them.
with delivery_events as (
    select channel, event_type
    from staging.events
    where channel is not null
      and event_type in ('sent', 'delivered', 'bounced', 'rejected')
),

messages as (
    select
        channel,
        count(*) filter (where event_type = 'sent') as sent,
        count(*) filter (where event_type = 'delivered') as delivered,
        count(*) filter (where event_type = 'bounced') as bounced,
        count(*) filter (where event_type = 'rejected') as rejected
    from delivery_events
    group by channel
),

retrievals as (
    select
        channel,
        count(*) as invoices_sent,
        count(*) filter (where is_retrieved) as invoices_retrieved,
        median(hours_to_retrieval) as median_hours_to_retrieval
    from marts.access_invoice_retrieval
    where channel is not null
    group by channel
)

select
    messages.channel,
    messages.sent,
    messages.delivered,
    messages.bounced,
    messages.rejected,
    case when messages.sent > 0 then round(messages.delivered / messages.sent, 4)::decimal(9, 4) end
        as delivery_rate,
    case when messages.sent > 0 then round(messages.bounced / messages.sent, 4)::decimal(9, 4) end
        as bounce_rate,
    coalesce(retrievals.invoices_sent, 0) as invoices_sent,
    coalesce(retrievals.invoices_retrieved, 0) as invoices_retrieved,
    round(retrievals.median_hours_to_retrieval, 2)::decimal(12, 2) as median_hours_to_retrieval
from messages
left join retrievals on retrievals.channel = messages.channel
order by messages.channel
