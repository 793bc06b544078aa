//! Fixed lists the demo country is made of: towns, streets, names, trades, foreign places.

/// Demoland's municipalities and their postcodes.
pub const TOWNS: &[(&str, &str)] = &[
    ("Demopolis", "1000"),
    ("Sampleton", "1200"),
    ("Fictiville", "1350"),
    ("Port-Exemple", "2100"),
    ("Mockford", "2240"),
    ("Testbourg", "3000"),
    ("Saint-Essai", "3150"),
    ("Lorem-sur-Mer", "4100"),
    ("Ipsum Valley", "4420"),
    ("Dummyton", "5000"),
    ("Prototype Falls", "5300"),
    ("Vieux-Modèle", "6000"),
];

pub const STREETS: &[&str] = &[
    "Rue de la République",
    "Avenue des Tilleuls",
    "High Street",
    "Station Road",
    "Rue du Marché",
    "Church Lane",
    "Boulevard Victor Hugo",
    "Mill Road",
    "Rue des Écoles",
    "Park Avenue",
    "Chemin des Vignes",
    "Harbour Street",
    "Place de la Mairie",
    "Queen's Road",
    "Rue Pasteur",
    "Orchard Close",
    "Allée des Peupliers",
    "Bridge Street",
    "Rue du Moulin",
    "Kingsway",
];

pub const FEMALE_NAMES: &[&str] = &[
    "Camille",
    "Chloé",
    "Emma",
    "Léa",
    "Manon",
    "Inès",
    "Sarah",
    "Alice",
    "Louise",
    "Juliette",
    "Charlotte",
    "Hélène",
    "Claire",
    "Sophie",
    "Amélie",
    "Margaux",
    "Élise",
    "Zoé",
    "Lucie",
    "Anne",
    "Marie",
    "Nathalie",
    "Isabelle",
    "Emily",
    "Olivia",
    "Grace",
    "Hannah",
    "Jessica",
    "Rachel",
    "Victoria",
    "Eleanor",
    "Rose",
];

pub const MALE_NAMES: &[&str] = &[
    "Lucas",
    "Hugo",
    "Louis",
    "Gabriel",
    "Arthur",
    "Jules",
    "Théo",
    "Nathan",
    "Léo",
    "Raphaël",
    "Antoine",
    "François",
    "Pierre",
    "Nicolas",
    "Julien",
    "Thomas",
    "Mathieu",
    "Olivier",
    "Rémi",
    "Benoît",
    "Paul",
    "James",
    "Oliver",
    "Harry",
    "George",
    "William",
    "Jack",
    "Daniel",
    "Samuel",
    "Edward",
    "Henry",
    "Owen",
];

pub const NEUTRAL_NAMES: &[&str] = &["Dominique", "Claude", "Camille", "Alex", "Sacha", "Charlie", "Morgan", "Eden"];

pub const FAMILY_NAMES: &[&str] = &[
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
    "Morel",
    "Girard",
    "André",
    "Lefebvre",
    "Mercier",
    "Dupont",
    "Lambert",
    "Bonnet",
    "François",
    "Martinez",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Evans",
    "Walker",
    "Wright",
    "Thompson",
    "White",
    "Hughes",
    "Edwards",
    "Green",
    "Hall",
    "Wood",
    "Harris",
    "Clarke",
    "Jackson",
    "Turner",
    "Hill",
    "Moore",
    "Cooper",
    "Ward",
    "Baker",
    "Carter",
    "Fontaine",
    "Chevalier",
];

/// Foreign places: (country code, town, postcode).
pub const ABROAD: &[(&str, &str, &str)] = &[
    ("FR", "Lyon", "69002"),
    ("FR", "Bordeaux", "33000"),
    ("BE", "Liège", "4000"),
    ("GB", "Leeds", "LS1 4AP"),
    ("CA", "Montréal", "H2X 1Y4"),
    ("CH", "Lausanne", "1003"),
    ("LU", "Esch-sur-Alzette", "4002"),
    ("IE", "Cork", "T12 X70A"),
];

pub const TRADES: &[&str] = &[
    "Bakery",
    "Plumbing",
    "Electrics",
    "Carpentry",
    "Motors",
    "Transport",
    "Consulting",
    "Printing",
    "Florist",
    "Butchery",
    "Hardware",
    "Bookshop",
    "Opticians",
    "Pharmacy",
    "Garage",
    "Roofing",
    "Catering",
    "Design",
    "Software",
    "Cleaning",
    "Removals",
    "Joinery",
    "Tailoring",
    "Brewery",
];

pub const INDUSTRIES: &[&str] =
    &["Energy", "Telecom", "Shipping", "Insurance", "Cement", "Foods", "Steel", "Logistics", "Water", "Media"];

pub const CLUBS: &[&str] = &[
    "Football Club",
    "Choir",
    "Chess Club",
    "Cycling Club",
    "Friends of the Library",
    "Residents' Association",
    "Rowing Club",
    "Youth Orchestra",
    "Food Bank",
    "Historical Society",
];

pub const PROFESSIONS: &[&str] = &["Architects", "Solicitors", "Accountants", "Surveyors", "Dentists", "Vets"];

/// Lowercase ASCII of a name, for addresses: accents dropped, other signs removed.
pub fn ascii(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            let c = c.to_lowercase().next().unwrap_or(c);
            Some(match c {
                'à' | 'â' | 'ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' => 'e',
                'î' | 'ï' => 'i',
                'ô' | 'ö' => 'o',
                'ù' | 'û' | 'ü' => 'u',
                'ç' => 'c',
                'a'..='z' | '0'..='9' => c,
                _ => return None,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_folds_names() {
        assert_eq!(ascii("Hélène"), "helene");
        assert_eq!(ascii("Lefèvre"), "lefevre");
        assert_eq!(ascii("O'Brien-Smith"), "obriensmith");
    }
}
