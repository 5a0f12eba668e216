-- Rows that were not accepted, with the reason a credit manager reads and the raw values as exported.
with source as (
    select * from raw.quarantine
)

select
    source_file as file,
    source_line,
    entity,
    raw_values,
    reason,
    file_sha256,
    extracted_at,
    ingested_at
from source
order by source_file, source_line
