"""Word lists for synthetic people and places (all invented combinations).

Lists are tuples so that picking from them is deterministic; they are varied on
purpose (origins, accents, hyphens, apostrophes) so search is exercised the way a
real US panel would exercise it.
"""
from __future__ import annotations

FEMALE_GIVEN = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica", "Sarah",
    "Karen", "Lisa", "Nancy", "Betty", "Margaret", "Sandra", "Ashley", "Kimberly", "Emily",
    "Donna", "Michelle", "Carol", "Amanda", "Dorothy", "Melissa", "Deborah", "Stephanie",
    "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Angela", "Shirley", "Anna",
    "Brenda", "Pamela", "Emma", "Nicole", "Helen", "Samantha", "Katherine", "Christine",
    "Debra", "Rachel", "Carolyn", "Janet", "Catherine", "Maria", "Heather", "Diane", "Ruth",
    "Julie", "Olivia", "Joyce", "Virginia", "Victoria", "Kelly", "Lauren", "Christina", "Joan",
    "Evelyn", "Judith", "Megan", "Andrea", "Cheryl", "Hannah", "Jacqueline", "Martha", "Gloria",
    "Teresa", "Ann", "Sara", "Madison", "Frances", "Kathryn", "Janice", "Jean", "Abigail",
    "Alice", "Judy", "Sophia", "Grace", "Denise", "Amber", "Doris", "Marilyn", "Danielle",
    "Beverly", "Isabella", "Theresa", "Diana", "Natalie", "Brittany", "Charlotte", "Marie",
    "Kayla", "Alexis", "Lori", "Guadalupe", "Rosa", "Ana", "Lucía", "Sofía", "Valentina",
    "Camila", "Ximena", "Yesenia", "Mei", "Xiu", "Li Na", "Hana", "Yuki", "Min-ji", "Ji-woo",
    "Thu", "Linh", "Ngoc", "Priya", "Ananya", "Aisha", "Fatima", "Mariam", "Leila", "Noor",
    "Zoë", "Chloé", "Renée", "Siobhan", "Aoife", "Ingrid", "Olga", "Svetlana", "Agnieszka",
    "Keisha", "Latoya", "Imani", "Aaliyah", "Shanice", "Ebony", "Nia", "Tamika", "Destiny",
    "Maya", "Aria", "Layla", "Riley", "Zoey", "Nora", "Lily", "Ellie", "Avery", "Harper",
    "Mia", "Ava", "Amelia", "Scarlett", "Luna", "Penelope", "Stella", "Hazel", "Aurora",
)

MALE_GIVEN = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Christopher", "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven",
    "Andrew", "Paul", "Joshua", "Kenneth", "Kevin", "Brian", "George", "Timothy", "Ronald",
    "Jason", "Edward", "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Jonathan",
    "Stephen", "Larry", "Justin", "Scott", "Brandon", "Benjamin", "Samuel", "Gregory",
    "Alexander", "Patrick", "Frank", "Raymond", "Jack", "Dennis", "Jerry", "Tyler", "Aaron",
    "Henry", "Adam", "Douglas", "Nathan", "Peter", "Zachary", "Kyle", "Walter", "Harold",
    "Jeremy", "Ethan", "Carl", "Keith", "Roger", "Gerald", "Christian", "Terry", "Sean",
    "Arthur", "Austin", "Noah", "Lawrence", "Jesse", "Joe", "Bryan", "Billy", "Jordan",
    "Albert", "Dylan", "Bruce", "Willie", "Gabriel", "Alan", "Juan", "Logan", "Wayne",
    "Ralph", "Roy", "Eugene", "Randy", "Vincent", "Russell", "Louis", "Philip", "Bobby",
    "Johnny", "Bradley", "José", "Luis", "Carlos", "Jesús", "Miguel", "Alejandro", "Diego",
    "Mateo", "Santiago", "Ángel", "Wei", "Jun", "Hao", "Hiroshi", "Kenji", "Min-jun",
    "Seo-jun", "Minh", "Duc", "Quang", "Arjun", "Rohan", "Vikram", "Omar", "Ahmed", "Mohammed",
    "Yusuf", "Hassan", "Karim", "Darnell", "DeShawn", "Jamal", "Malik", "Tyrone", "Andre",
    "Marcus", "Terrell", "Kwame", "Oluwaseun", "Chidi", "Liam", "Oliver", "Elijah", "Lucas",
    "Mason", "Levi", "Sebastian", "Owen", "Caleb", "Isaiah", "Ezra", "Grayson", "Hudson",
    "Dmitri", "Ivan", "Piotr", "Sean-Paul", "Séamus", "Björn", "François", "Jean-Luc",
)

FAMILY = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Gomez", "Phillips", "Evans",
    "Turner", "Diaz", "Parker", "Cruz", "Edwards", "Collins", "Reyes", "Stewart", "Morris",
    "Morales", "Murphy", "Cook", "Rogers", "Gutierrez", "Ortiz", "Morgan", "Cooper", "Peterson",
    "Bailey", "Reed", "Kelly", "Howard", "Ramos", "Kim", "Cox", "Ward", "Richardson", "Watson",
    "Brooks", "Chavez", "Wood", "James", "Bennett", "Gray", "Mendoza", "Ruiz", "Hughes",
    "Price", "Alvarez", "Castillo", "Sanders", "Patel", "Myers", "Long", "Ross", "Foster",
    "Jimenez", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Bell", "Coleman", "Butler",
    "Henderson", "Barnes", "Gonzales", "Fisher", "Vasquez", "Simmons", "Romero", "Jordan",
    "Patterson", "Alexander", "Hamilton", "Graham", "Reynolds", "Griffin", "Wallace", "Moreno",
    "West", "Cole", "Hayes", "Bryant", "Herrera", "Gibson", "Ellis", "Tran", "Medina",
    "Aguilar", "Stevens", "Murray", "Ford", "Castro", "Marshall", "Owens", "Harrison",
    "Fernandez", "McDonald", "Woods", "Washington", "Kennedy", "Wells", "Vargas", "Henry",
    "Chen", "Freeman", "Webb", "Tucker", "Guzman", "Burns", "Crawford", "Olson", "Simpson",
    "Porter", "Hunter", "Gordon", "Mendez", "Silva", "Shaw", "Snyder", "Mason", "Dixon",
    "Muñoz", "Hunt", "Hicks", "Holmes", "Palmer", "Wagner", "Black", "Robertson", "Boyd",
    "Rose", "Stone", "Salazar", "Fox", "Warren", "Mills", "Meyer", "Rice", "Schmidt", "Garza",
    "Daniels", "Ferguson", "Nichols", "Stephens", "Soto", "Weaver", "Ryan", "Gardner",
    "Payne", "Grant", "Dunn", "Kelley", "Spencer", "Hawkins", "Arnold", "Pierce", "Vazquez",
    "Hansen", "Peters", "Santos", "Hart", "Bradley", "Knight", "Elliott", "Cunningham",
    "Duncan", "Armstrong", "Hudson", "Carroll", "Lane", "Riley", "Andrews", "Alvarado",
    "Ray", "Delgado", "Berry", "Perkins", "Hoffman", "Johnston", "Matthews", "Peña",
    "Richards", "Contreras", "Willis", "Carpenter", "Lawrence", "Sandoval", "Wang", "Li",
    "Zhang", "Liu", "Huang", "Wu", "Yang", "Zhao", "Park", "Choi", "Jung", "Kang", "Cho",
    "Pham", "Le", "Hoang", "Vu", "Dang", "Bui", "Do", "Tanaka", "Suzuki", "Sato", "Takahashi",
    "Shah", "Singh", "Kumar", "Sharma", "Gupta", "Reddy", "Desai", "Iyer", "Khan", "Ali",
    "Hussein", "Haddad", "Nasser", "Abboud", "Farah", "Mansour", "Okafor", "Adeyemi",
    "Mensah", "Osei", "Mwangi", "Diallo", "Kowalski", "Nowak", "Wiśniewski", "Novak",
    "Ivanov", "Petrov", "Smirnov", "Kuznetsova", "Müller", "Schneider", "Fischer", "Weber",
    "Becker", "Rossi", "Russo", "Ferrari", "Esposito", "Romano", "Bianchi", "Costa",
    "O'Brien", "O'Connor", "O'Neill", "McCarthy", "Fitzgerald", "Gallagher", "MacLeod",
    "Dubois", "Lefèvre", "Moreau", "Laurent", "Bergström", "Johansson", "Larsen", "Nielsen",
    "Yazzie", "Begay", "Tsosie", "Kealoha", "Kahananui", "Smith-Jones", "Garcia-Lopez",
    "St. Clair", "Van der Berg", "De la Cruz", "Del Rosario", "Santiago", "Ocampo", "Reyes-Cruz",
)

STREETS = (
    "Main", "Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park",
    "Walnut", "Sunset", "Highland", "Spring", "Church", "Mill", "River", "Lincoln", "Jefferson",
    "Chestnut", "Willow", "Meadow", "Forest", "Ridge", "Franklin", "Madison", "Jackson",
    "Cherry", "Birch", "Dogwood", "Magnolia", "Sycamore", "Hickory", "Laurel", "Poplar",
    "Valley", "Prospect", "Center", "Market", "Broad", "Union", "Water", "Bridge", "School",
    "Orchard", "Harbor", "Bay", "Summit", "Grove", "Aspen", "Juniper", "Mesa", "Canyon",
)
STREET_KINDS = ("St", "Ave", "Rd", "Dr", "Ln", "Ct", "Blvd", "Way", "Pl", "Ter")

# city, state, ZIP prefix, UTC offset in hours (standard time; the demo ignores DST)
CITIES = (
    ("Springfield", "IL", "627", -6), ("Riverside", "CA", "925", -8), ("Fairview", "TN", "370", -6),
    ("Franklin", "MA", "020", -5), ("Greenville", "SC", "296", -5), ("Bristol", "CT", "060", -5),
    ("Clinton", "IA", "527", -6), ("Georgetown", "KY", "403", -5), ("Salem", "OR", "973", -8),
    ("Madison", "WI", "537", -6), ("Arlington", "TX", "760", -6), ("Ashland", "OH", "448", -5),
    ("Burlington", "VT", "054", -5), ("Dover", "DE", "199", -5), ("Hudson", "NY", "125", -5),
    ("Kingston", "PA", "187", -5), ("Marion", "IN", "469", -5), ("Milton", "FL", "325", -6),
    ("Newport", "RI", "028", -5), ("Oxford", "MS", "386", -6), ("Troy", "MI", "480", -5),
    ("Jackson", "WY", "830", -7), ("Lebanon", "NH", "037", -5), ("Auburn", "AL", "368", -6),
    ("Columbia", "MO", "652", -6), ("Lakewood", "CO", "802", -7), ("Mesa", "AZ", "852", -7),
    ("Albany", "GA", "317", -5), ("Vancouver", "WA", "986", -8), ("Las Cruces", "NM", "880", -7),
    ("Rochester", "MN", "559", -6), ("Frederick", "MD", "217", -5), ("Winchester", "VA", "226", -5),
    ("Durham", "NC", "277", -5), ("Lawrence", "KS", "660", -6), ("Provo", "UT", "846", -7),
)

AREA_CODES = {
    "IL": "217", "CA": "951", "TN": "615", "MA": "508", "SC": "864", "CT": "860", "IA": "563",
    "KY": "502", "OR": "503", "WI": "608", "TX": "817", "OH": "419", "VT": "802", "DE": "302",
    "NY": "518", "PA": "570", "IN": "765", "FL": "850", "RI": "401", "MS": "662", "MI": "248",
    "WY": "307", "NH": "603", "AL": "334", "MO": "573", "CO": "303", "AZ": "480", "GA": "229",
    "WA": "360", "NM": "575", "MN": "507", "MD": "301", "VA": "540", "NC": "919", "KS": "785",
    "UT": "801",
}

# language, weight (a US primary-care panel: English first, then Spanish, then many others)
LANGUAGES = (
    ("English", 780), ("Spanish", 130), ("Chinese", 14), ("Vietnamese", 10), ("Tagalog", 9),
    ("Arabic", 7), ("Korean", 6), ("Russian", 6), ("Haitian Creole", 5), ("Portuguese", 5),
    ("French", 4), ("Polish", 3), ("Hindi", 3), ("Somali", 2), ("Navajo", 1),
    ("American Sign Language", 2),
)

PRACTICE_NAME_FIRST = (
    "Maple", "Riverside", "Lakeside", "Oakwood", "Cedar Grove", "Summit", "Valley", "Harbor",
    "Hillcrest", "Meadowbrook", "Pinecrest", "Brookside", "Northgate", "Southpoint", "Eastside",
    "Westfield", "Fairview", "Greenway", "Stonebridge", "Willow Creek", "Sunrise", "Prairie",
    "Bayview", "Clearwater", "Elm Street", "Heritage", "Parkside", "Redwood", "Silver Lake",
    "Crossroads", "Bluebonnet", "Magnolia", "Aspen", "Juniper", "Cornerstone", "Lighthouse",
)
PRACTICE_NAME_KIND = (
    "Family Medicine", "Family Practice", "Primary Care", "Internal Medicine", "Pediatrics & Family",
    "Community Health", "Medical Associates", "Health Center", "Family Physicians", "Medical Group",
)

SPECIALIST_PRACTICES = (
    "Regional Medical Center", "University Specialty Clinic", "Community Hospital Outpatient",
    "Valley Specialty Group", "Metro Health Specialists", "St. Luke's Clinic",
)
