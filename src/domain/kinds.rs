//! The closed sets of kinds and statuses items move through, with labels people read.

use crate::vocabulary;
use serde::{Deserialize, Serialize};

vocabulary! {
    /// What sort of initiative this is; its rung on the informal-first ladder follows from it.
    InitiativeKind {
        /// Informal group of neighbours (no legal form).
        InformalGroup => ("informal_group", "Informele groep", "Informal group"),
        /// Resident initiative, often in zelfbeheer.
        ResidentInitiative => ("resident_initiative", "Bewonersinitiatief", "Resident initiative"),
        /// Volunteer organisation.
        VolunteerOrganisation => ("volunteer_organisation", "Vrijwilligersorganisatie", "Volunteer organisation"),
        /// General, open-access provision (algemene voorziening).
        GeneralProvision => ("general_provision", "Algemene voorziening", "General provision"),
        /// Professional, individual service (maatwerk).
        ProfessionalService => ("professional_service", "Professionele dienst", "Professional service"),
    }
}

vocabulary! {
    /// Whether an initiative is running.
    InitiativeStatus {
        /// Running.
        Active => ("active", "Actief", "Active"),
        /// Temporarily not running.
        Paused => ("paused", "Gepauzeerd", "Paused"),
        /// Stopped.
        Ended => ("ended", "Gestopt", "Ended"),
    }
}

vocabulary! {
    /// What taking part costs.
    CostKind {
        /// Free.
        Free => ("free", "Gratis", "Free"),
        /// A (voluntary) contribution.
        Contribution => ("contribution", "Bijdrage", "Contribution"),
        /// Paid.
        Paid => ("paid", "Betaald", "Paid"),
    }
}

vocabulary! {
    /// Whether a listing offers or asks for help.
    ListingKind {
        /// Someone offers help.
        Offer => ("offer", "Aanbod", "Offer"),
        /// Someone asks for help.
        Request => ("request", "Hulpvraag", "Request"),
    }
}

vocabulary! {
    /// Where a listing is in its life. `expired` follows from `valid_until` and cannot be set.
    ListingStatus {
        /// Open for matches.
        Open => ("open", "Open", "Open"),
        /// Matched with someone.
        Matched => ("matched", "Gekoppeld", "Matched"),
        /// Closed by its owner.
        Closed => ("closed", "Gesloten", "Closed"),
        /// Past its valid_until date while still open.
        Expired => ("expired", "Verlopen", "Expired"),
    }
}

vocabulary! {
    /// Whether a volunteer takes new matches.
    VolunteerStatus {
        /// Available for new matches.
        Active => ("active", "Actief", "Active"),
        /// Not taking new matches for now.
        Paused => ("paused", "Gepauzeerd", "Paused"),
    }
}

vocabulary! {
    /// What part of a person's data a consent covers.
    ConsentScope {
        /// The profile: display name, languages, home cell.
        Profile => ("profile", "Profiel", "Profile"),
        /// Contact details: e-mail and phone.
        Contact => ("contact", "Contactgegevens", "Contact details"),
        /// Their offers and requests, with full text.
        Listings => ("listings", "Vragen en aanbod", "Offers and requests"),
        /// Their volunteer profile.
        Volunteer => ("volunteer", "Vrijwilligersprofiel", "Volunteer profile"),
        /// Referral by the wijkteam: the professionals of the grantee gemeente may refer the
        /// person's requests (or one they record for them) to a helper they choose, and that
        /// helper receives the request and, once they accept, the contact details.
        Referral => ("referral", "Doorverwijzing door het wijkteam", "Referral by the wijkteam"),
    }
}
