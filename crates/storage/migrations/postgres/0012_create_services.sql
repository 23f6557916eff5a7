-- The support directory (lantern_core::support::Service): one row per service, by the reference
-- its file gives. Needs and areas are semicolon-separated codes; the directory is small (hundreds
-- of entries), and the public page filters it in memory.
CREATE TABLE services (
    reference TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    organisation TEXT NOT NULL,
    needs TEXT NOT NULL,
    areas TEXT NOT NULL,
    age_min INTEGER,
    age_max INTEGER,
    access TEXT NOT NULL,
    how_to_access TEXT,
    phone TEXT,
    email TEXT,
    website TEXT,
    hours TEXT,
    description TEXT,
    last_verified DATE NOT NULL,
    source TEXT NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX services_organisation ON services (organisation);

-- The postcode district of each postcode in the lookup (the outward code, AV1 of AV1 0AA: some
-- thousands of homes, not one), so the support directory can be searched by district. Postcodes
-- imported before this are filled in by the next import of the lookup.
ALTER TABLE postcodes ADD COLUMN district TEXT;
CREATE INDEX postcodes_district ON postcodes (district);
