-- Per day (UTC), channel and outcome: how many messages were sent, delivered, bounced or rejected.
-- Reminders count too: the Channels screen shows what each channel carried, not only first deliveries.
-- A platform's lifecycle status 213 (Rejetée) counts as a rejection.
with outcomes as (
    select
        (occurred_at at time zone 'UTC')::date as day,
        channel,
        case when event_type = 'lifecycle' then 'rejected' else event_type end as event_type
    from staging.events
    where channel is not null
      and (event_type in ('sent', 'delivered', 'bounced', 'rejected')
           or (event_type = 'lifecycle' and status_code = '213'))
)

select day, channel, event_type, count(*) as events
from outcomes
group by day, channel, event_type
order by day, channel, event_type
