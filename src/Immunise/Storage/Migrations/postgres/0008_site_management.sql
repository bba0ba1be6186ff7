-- Site management by site managers (docs/staff.md, "Managing a site"): a site's public contact details, and an index for
-- the week's figures (cancelled appointments per slot). Taking a site offline uses sites.status (0004), already honoured by
-- the site search; availability, the FHIR slot search, holds and moves now honour it too.
--
-- No foreign key from stock_batches to sites yet: stock is received at organisations that are not (yet) booking sites (the
-- demo's site staff work at B87008, which is no demo site; the stock tests receive at sites they never create), so the key
-- would refuse stock the service takes today. See docs/staff.md.

-- How citizens reach the site: a telephone number (UK, as written) and an email address; both optional.
ALTER TABLE sites ADD COLUMN phone text NULL;
ALTER TABLE sites ADD COLUMN email text NULL;

-- Cancelled appointments in a slot, for the week's bookings against capacity (ix_bookings_slot covers held and booked only).
CREATE INDEX ix_bookings_slot_cancelled ON bookings (slot_id) WHERE status = 'cancelled';
