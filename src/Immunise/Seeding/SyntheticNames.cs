namespace Immunise.Seeding;

/// <summary>Common names in England, written for Immunise's synthetic people (not taken from any list or file).</summary>
internal static class SyntheticNames
{
    public static readonly string[] Male =
    [
        "Oliver", "George", "Harry", "Jack", "Jacob", "Noah", "Charlie", "Muhammad", "Thomas", "Oscar",
        "William", "James", "Henry", "Leo", "Alfie", "Joshua", "Freddie", "Archie", "Ethan", "Isaac",
        "Alexander", "Joseph", "Edward", "Samuel", "Max", "Daniel", "Arthur", "Lucas", "Mohammed", "Logan",
        "Theo", "Harrison", "Benjamin", "Mason", "Sebastian", "Finley", "Adam", "Dylan", "Zachary", "Riley",
        "Teddy", "Theodore", "David", "Elijah", "Jake", "Toby", "Louie", "Reuben", "Arlo", "Hugo",
        "John", "Michael", "Paul", "Peter", "Richard", "Robert", "Stephen", "Mark", "Andrew", "Christopher",
        "Anthony", "Kevin", "Gary", "Ian", "Simon", "Neil", "Graham", "Keith", "Brian", "Colin",
        "Kenneth", "Derek", "Roger", "Trevor", "Dennis", "Raymond", "Alan", "Barry", "Stuart", "Martin",
        "Matthew", "Luke", "Ryan", "Liam", "Connor", "Callum", "Jordan", "Aaron", "Nathan", "Kieran",
        "Ahmed", "Ali", "Hassan", "Imran", "Arjun", "Rohan", "Sanjay", "Kwame", "Chinedu", "Tomasz",
    ];

    public static readonly string[] Female =
    [
        "Olivia", "Amelia", "Isla", "Ava", "Mia", "Ivy", "Lily", "Isabella", "Rosie", "Sophia",
        "Grace", "Freya", "Willow", "Florence", "Emily", "Ella", "Poppy", "Evie", "Elsie", "Charlotte",
        "Evelyn", "Sienna", "Sofia", "Daisy", "Phoebe", "Sophie", "Alice", "Harper", "Matilda", "Ruby",
        "Emilia", "Maya", "Millie", "Isabelle", "Eva", "Luna", "Esme", "Jessica", "Chloe", "Lucy",
        "Mary", "Margaret", "Susan", "Patricia", "Elizabeth", "Sarah", "Karen", "Julie", "Helen", "Linda",
        "Janet", "Christine", "Sandra", "Carol", "Angela", "Jacqueline", "Pauline", "Barbara", "Joan", "Dorothy",
        "Jean", "Sheila", "Brenda", "Valerie", "Irene", "Doreen", "Eileen", "Maureen", "Shirley", "Gillian",
        "Claire", "Nicola", "Emma", "Rachel", "Lisa", "Joanne", "Michelle", "Rebecca", "Laura", "Hannah",
        "Amy", "Katie", "Jade", "Megan", "Bethany", "Lauren", "Holly", "Abigail", "Natalie", "Zoe",
        "Fatima", "Aisha", "Zainab", "Maryam", "Priya", "Anjali", "Simran", "Amara", "Chioma", "Agnieszka",
    ];

    public static readonly string[] Family =
    [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson", "Wright",
        "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood", "Jackson", "Clarke",
        "Patel", "Khan", "Lewis", "James", "Phillips", "Mason", "Mitchell", "Rose", "Davis", "Rodriguez",
        "Cox", "Alexander", "Morgan", "Moore", "Mills", "King", "Adams", "Garcia", "Lee", "Harris",
        "Martin", "Cooper", "Baker", "Turner", "Hill", "Ward", "Morris", "Moore", "Clark", "Young",
        "Allen", "Scott", "Edwards", "Hughes", "Harrison", "Watson", "Marshall", "Bell", "Carter", "Parker",
        "Price", "Bennett", "Griffiths", "Kelly", "Shaw", "Collins", "Richardson", "Russell", "Hunt", "Murphy",
        "Stevens", "Graham", "Ellis", "Palmer", "Holmes", "Fox", "Chapman", "Lloyd", "Webb", "Owen",
        "Knight", "Simpson", "Powell", "Cook", "Barker", "Dixon", "Gray", "Matthews", "Rogers", "Stewart",
        "Reid", "Murray", "Pearson", "Gibson", "Andrews", "Kennedy", "Butler", "Saunders", "Lawrence", "Fisher",
        "Hussain", "Ahmed", "Ali", "Begum", "Akhtar", "Shah", "Singh", "Kaur", "Sharma", "Mistry",
        "Chowdhury", "Rahman", "Islam", "Mahmood", "Iqbal", "Rashid", "Malik", "Nguyen", "Chen", "Wong",
        "Okafor", "Adeyemi", "Mensah", "Owusu", "Mohamed", "Abdi", "Nowak", "Kowalski", "Wisniewski", "Popescu",
        "Walsh", "Byrne", "Ryan", "O'Brien", "O'Connor", "McCarthy", "Doyle", "Quinn", "Campbell", "MacDonald",
        "Thomas", "Jenkins", "Howells", "Rees", "Pritchard", "Lewis-Jones", "Hart", "Spencer", "Dawson", "Atkinson",
        "Barnes", "Berry", "Burton", "Chambers", "Cole", "Day", "Dean", "Ferguson", "Fletcher", "Ford",
        "Foster", "Gardner", "Gordon", "Grant", "Hamilton", "Harper", "Hayes", "Henderson", "Hodgson", "Holland",
        "Howard", "Hudson", "Hunter", "Johnston", "Lamb", "Lane", "Little", "Lowe", "Marsh", "Mason-Smith",
        "Miles", "Newman", "Nicholson", "Oliver", "Page", "Payne", "Pearce", "Perry", "Pope", "Porter",
        "Reynolds", "Riley", "Robertson", "Stone", "Sutton", "Tucker", "Wallace", "Warren", "Wells", "West",
    ];

    public static readonly string[] Streets =
    [
        "High Street", "Station Road", "Main Street", "Park Road", "Church Road", "Church Street", "London Road", "Victoria Road",
        "Green Lane", "Manor Road", "Church Lane", "Park Avenue", "The Avenue", "The Crescent", "Queens Road", "New Road",
        "Grange Road", "Kings Road", "Alexandra Road", "Albert Road", "Mill Lane", "School Lane", "York Road", "Springfield Road",
        "Windsor Road", "Stanley Road", "North Street", "West Street", "Chester Road", "Highfield Road", "Cedar Close", "Oak Avenue",
        "Elm Grove", "Beech Drive", "Willow Way", "Meadow View", "Orchard Close", "The Green", "Mill Road", "Hill Street",
    ];
}
