//! What residents ask, offer and say, and what initiatives ask of the team: the words of the
//! demo history.

use super::*;

/// A need a resident brings to the wijkteam.
pub(super) struct Need {
    pub(super) categories: &'static [ActivityCategory],
    pub(super) zrm: &'static [ZrmDomain],
    pub(super) title: &'static str,
    pub(super) description: &'static str,
}

use ActivityCategory as C;
use ZrmDomain as Z;

pub(super) const NEEDS: &[Need] = &[
    Need {
        categories: &[C::Paperwork, C::MoneyMatters],
        zrm: &[Z::Financien],
        title: "Hulp bij het aanvragen van huurtoeslag",
        description: "Ik krijg de aanvraag voor huurtoeslag niet rond en de brieven van de Belastingdienst begrijp ik niet goed. Wie kijkt met mij mee?",
    },
    Need {
        categories: &[C::MoneyMatters, C::Paperwork],
        zrm: &[Z::Financien],
        title: "Overzicht krijgen in rekeningen en schulden",
        description: "Er liggen veel onbetaalde rekeningen en ik weet niet waar ik moet beginnen. Ik wil graag samen een overzicht maken.",
    },
    Need {
        categories: &[C::Companionship, C::Exercise],
        zrm: &[Z::SociaalNetwerk],
        title: "Gezelschap voor een wandeling door de wijk",
        description: "Sinds mijn verhuizing ken ik hier nog weinig mensen. Ik zou graag eens per week met iemand een rondje lopen.",
    },
    Need {
        categories: &[C::MeetingPlace, C::Companionship],
        zrm: &[Z::SociaalNetwerk, Z::Tijdsbesteding],
        title: "Een plek om overdag andere mensen te ontmoeten",
        description: "Ik ben veel alleen thuis en zoek een plek in de buurt waar ik overdag terecht kan voor een kop koffie en een praatje.",
    },
    Need {
        categories: &[C::Language],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Oefenen met Nederlands spreken in het dagelijks leven",
        description: "Ik volg een taalcursus maar heb weinig kans om te oefenen. Ik zoek iemand om mee te praten over gewone dingen.",
    },
    Need {
        categories: &[C::DigitalHelp],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Uitleg over DigiD en de app van de bank",
        description: "Mijn DigiD werkt niet meer op mijn nieuwe telefoon en ik durf de app van de bank niet goed te gebruiken.",
    },
    Need {
        categories: &[C::Groceries, C::Transport],
        zrm: &[Z::InstrumenteleAdl],
        title: "Boodschappen doen na mijn heupoperatie",
        description: "Na mijn operatie kan ik een paar weken niet zelf naar de winkel. Wie helpt mij met de wekelijkse boodschappen?",
    },
    Need {
        categories: &[C::Transport],
        zrm: &[Z::LichamelijkeGezondheid],
        title: "Vervoer naar het ziekenhuis voor mijn controles",
        description: "Ik moet elke maand naar het ziekenhuis en heb geen auto. Met de bus lukt het mij niet meer.",
    },
    Need {
        categories: &[C::Meals, C::FoodAid],
        zrm: &[Z::LichamelijkeGezondheid, Z::Financien],
        title: "Een paar keer per week een warme maaltijd",
        description: "Koken lukt me niet meer zo goed en ik eet vaak alleen een boterham. Ik zou graag een paar keer per week warm eten, liefst samen.",
    },
    Need {
        categories: &[C::OddJobs, C::Repair],
        zrm: &[Z::Huisvesting],
        title: "Klusjes in huis die ik zelf niet meer kan doen",
        description: "Er moet een lamp worden opgehangen en de kraan in de keuken lekt. Ik kan zelf niet meer op een trap staan.",
    },
    Need {
        categories: &[C::Garden],
        zrm: &[Z::Huisvesting],
        title: "Hulp bij het bijhouden van mijn achtertuin",
        description: "Mijn tuin groeit dicht en ik krijg hem niet meer bijgehouden. Wie helpt een paar keer in het seizoen?",
    },
    Need {
        categories: &[C::Children],
        zrm: &[Z::HuiselijkeRelaties],
        title: "Steun bij de opvoeding van mijn zoon",
        description: "Mijn zoon van tien heeft moeite op school en thuis loopt het vaak uit de hand. Ik zoek iemand om mee te praten en tips.",
    },
    Need {
        categories: &[C::CaregiverSupport, C::Companionship],
        zrm: &[Z::GeestelijkeGezondheid],
        title: "Even op adem komen naast de zorg voor mijn man",
        description: "Ik zorg al twee jaar voor mijn man en ben erg moe. Ik zoek iemand die af en toe een middag kan overnemen.",
    },
    Need {
        categories: &[C::Housekeeping],
        zrm: &[Z::BasaleAdl],
        title: "Tijdelijk hulp in het huishouden na ziekte",
        description: "Door mijn ziekte lukt het schoonmaken en de was niet meer. Ik zoek voor een paar maanden hulp.",
    },
    Need {
        categories: &[C::Exercise, C::MeetingPlace],
        zrm: &[Z::LichamelijkeGezondheid, Z::SociaalNetwerk],
        title: "Samen bewegen om fit te blijven",
        description: "De fysiotherapeut zegt dat ik meer moet bewegen, maar alleen kom ik er niet toe. Is er een groep bij mij in de buurt?",
    },
    Need {
        categories: &[C::Paperwork, C::Language],
        zrm: &[Z::WerkOpleiding],
        title: "Een cv schrijven en leren solliciteren",
        description: "Ik zoek werk maar weet niet hoe ik een goede brief en een cv schrijf. Wie helpt mij op weg?",
    },
];

/// An offer a volunteer posts for a while.
pub(super) struct Gift {
    pub(super) categories: &'static [ActivityCategory],
    pub(super) zrm: &'static [ZrmDomain],
    pub(super) title: &'static str,
    pub(super) description: &'static str,
}

pub(super) const GIFTS: &[Gift] = &[
    Gift {
        categories: &[C::Groceries],
        zrm: &[Z::InstrumenteleAdl],
        title: "Ik neem boodschappen mee voor een buur",
        description: "Ik ga toch elke week naar de supermarkt en neem graag iets mee voor iemand die het zelf even niet kan.",
    },
    Gift {
        categories: &[C::Paperwork, C::MoneyMatters],
        zrm: &[Z::Financien],
        title: "Meekijken met post, formulieren en geldzaken",
        description: "Ik heb bij een bank gewerkt en help graag met brieven, formulieren en een huishoudboekje.",
    },
    Gift {
        categories: &[C::Companionship],
        zrm: &[Z::SociaalNetwerk],
        title: "Tijd voor een praatje en een kop koffie bij u thuis",
        description: "Ik ben met pensioen en heb tijd over. Ik kom graag langs voor gezelschap.",
    },
    Gift {
        categories: &[C::DigitalHelp],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Geduldige hulp met telefoon, tablet en computer",
        description: "Ik leg rustig uit hoe apps, DigiD en e-mail werken, zo vaak als nodig is.",
    },
    Gift {
        categories: &[C::OddJobs, C::Repair],
        zrm: &[Z::Huisvesting],
        title: "Kleine klussen in en om het huis",
        description: "Een lamp ophangen, een kraan vervangen of een kastje in elkaar zetten: ik doe het graag.",
    },
    Gift {
        categories: &[C::Transport],
        zrm: &[Z::LichamelijkeGezondheid],
        title: "Rijden naar afspraken bij huisarts of ziekenhuis",
        description: "Ik heb een auto en breng u graag naar uw afspraak en weer terug.",
    },
    Gift {
        categories: &[C::Language],
        zrm: &[Z::MaatschappelijkeParticipatie],
        title: "Samen Nederlands oefenen in een rustig tempo",
        description: "Ik ben docent geweest en oefen graag Nederlands met wie dat wil, bij mij of bij u thuis.",
    },
    Gift {
        categories: &[C::Garden],
        zrm: &[Z::Huisvesting],
        title: "Snoeien, maaien en wieden in uw tuin",
        description: "Ik heb groene vingers en tijd over, en help graag een paar keer in het seizoen.",
    },
];

/// What a professional tells the helper, now and then.
pub(super) const NOTES: &[&str] = &[
    "Bewoner is het best bereikbaar in de middag.",
    "Spreekt ook Engels; Nederlands gaat wat moeizaam.",
    "Graag kort laten weten of het contact gelukt is.",
    "Bewoner is wat terughoudend; neem gerust de tijd voor het eerste gesprek.",
];

pub(super) const PRAISE: &[&str] = &[
    "De vrijwilliger nam echt de tijd voor me.",
    "Fijn dat er zo snel iemand langskwam.",
    "Ik ga nu elke week naar de buurtkamer en ken meer mensen.",
    "Eindelijk overzicht in mijn post, dat geeft rust.",
    "Heel vriendelijk en goed geholpen.",
];

pub(super) const COMPLAINTS: &[&str] = &[
    "Het duurde lang voordat iemand contact opnam.",
    "Het paste niet helemaal bij wat ik zocht.",
    "Ik had gehoopt op meer hulp, maar ze hebben het geprobeerd.",
    "Na het eerste gesprek hoorde ik niets meer.",
];

/// First names for the residents the history adds; all in plain ASCII, so e-mail addresses
/// can be made of them.
pub(super) const NAMES: &str = "Anouk Bram Chantal Dirk Esra Farid Gerda Hamza Ilse Jeroen Kim Latifa Maarten Nadia Oscar Petra \
     Rachid Sanne Tim Ursula Vincent Wendy Yusuf Zeynep Annelies Bilal Corrie Daan Emine Frank Gulsen \
     Henk Ivana Jan Karin Lotte Mohamed Noor Piet Rosa Said Tineke Wim Yasmina Agnieszka Boris Dewi Fenna";

/// The `n`th of [`NAMES`], round and round.
pub(super) fn name(n: usize) -> &'static str {
    let count = NAMES.split_whitespace().count();
    NAMES.split_whitespace().nth(n % count).unwrap_or("Buur")
}

pub(super) fn support_text(kind: SupportKind, variant: usize) -> &'static str {
    let texts: [&str; 2] = match kind {
        SupportKind::Room => [
            "Onze groep groeit; we zoeken een ruimte voor dertig mensen op dinsdagavond.",
            "Het buurthuis gaat verbouwen. Is er een half jaar een andere plek voor onze inloop?",
        ],
        SupportKind::Grant => [
            "Een bijdrage voor koffie, thee en materialen voor het komende half jaar.",
            "We willen een uitje organiseren voor bewoners die er nooit uit komen en vragen een bijdrage in de kosten.",
        ],
        SupportKind::Volunteers => [
            "We zoeken twee vrijwilligers die op zaterdag willen helpen met de inloop.",
            "Onze vaste chauffeur stopt; we zoeken iemand die op woensdag wil rijden.",
        ],
        SupportKind::Training => [
            "Onze vrijwilligers willen een training over omgaan met verward gedrag.",
            "We zoeken iemand die ons leert hoe we signalen van eenzaamheid herkennen.",
        ],
        SupportKind::Publicity => [
            "Kan de gemeente onze activiteiten meenemen in de wijkkrant en op sociale media?",
            "We willen posters ophangen in de wachtkamers van de huisartsen in de wijk.",
        ],
        SupportKind::MunicipalContact => [
            "We zoeken een vast aanspreekpunt bij de gemeente voor vergunningen en de huur.",
            "Wie bij de gemeente kan ons helpen met de regels voor een buurtfeest op straat?",
        ],
    };
    texts[variant % 2]
}

pub(super) fn grant_note(kind: SupportKind) -> &'static str {
    match kind {
        SupportKind::Room => "Het wijkcentrum heeft op dinsdagavond een zaal beschikbaar; de sleutel ligt bij de beheerder.",
        SupportKind::Grant => "Toegekend uit het wijkbudget van dit jaar.",
        SupportKind::Volunteers => "Via het vrijwilligerssteunpunt zijn twee vrijwilligers voorgesteld.",
        SupportKind::Training => "Jullie kunnen aansluiten bij de training van het wijkteam in het voorjaar.",
        SupportKind::Publicity => "Staat in de volgende wijkkrant en op de website van de gemeente.",
        SupportKind::MunicipalContact => "De wijkmanager is jullie vaste aanspreekpunt.",
    }
}

pub(super) fn decline_note(reason: SupportDeclineReason) -> &'static str {
    match reason {
        SupportDeclineReason::NoBudget => "Het wijkbudget van dit jaar is op; probeer het na de zomer opnieuw.",
        SupportDeclineReason::NotEligible => "Dit valt buiten wat het wijkbudget mag betalen.",
        SupportDeclineReason::OtherProvision => "Het fonds van de bibliotheek past hier beter; wij helpen met de aanvraag.",
        SupportDeclineReason::Incomplete => "We missen een begroting; een nieuwe aanvraag met begroting is welkom.",
        SupportDeclineReason::Other => "We bespreken dit liever eerst in het wijkoverleg.",
    }
}
