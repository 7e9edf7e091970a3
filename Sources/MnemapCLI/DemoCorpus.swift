import Foundation
import Mnemap

/// The demo's memories: a simulated team of agents talking with five users over several sessions,
/// with the facts and procedures they learned. Generated from templates with a fixed seed, so the
/// demo needs no network and no files, and gives the same store every run.
enum DemoCorpus {
    struct Person {
        let name: String
        let facts: [String]
        let topics: [String]
    }

    static let people: [Person] = [
        Person(name: "alice", facts: [
            "Alice prefers green tea, never coffee after noon",
            "Alice is vegetarian and loves Thai curries",
            "Alice's daughter Maya starts school in September",
            "Alice works as a structural engineer at Norland Bridges",
            "Alice is planning a trip to Lisbon in May",
        ], topics: ["the Lisbon trip", "Maya's school supplies", "the bridge load report", "a curry recipe"]),
        Person(name: "bob", facts: [
            "Bob is allergic to peanuts and sesame",
            "Bob plays the cello in a community orchestra on Thursdays",
            "Bob's invoice ACME-4471 for the March consulting work is unpaid",
            "Bob runs a small bakery called Crumb & Co",
            "Bob wants reminders by text message, not email",
        ], topics: ["the unpaid invoice", "the orchestra rehearsal", "sourdough starter", "the bakery's opening hours"]),
        Person(name: "carol", facts: [
            "Carol is training for the Berlin marathon in September",
            "Carol's laptop is a 2021 ThinkPad running Fedora",
            "Carol manages the data platform team of six engineers",
            "Carol is learning Japanese with a tutor on Mondays",
            "Carol's cat Pixel needs medication twice a day",
        ], topics: ["marathon training", "the Fedora upgrade", "the team's quarterly plan", "Japanese flashcards"]),
        Person(name: "dan", facts: [
            "Dan is moving from Chicago to Denver next month",
            "Dan drives an electric car and plans trips around chargers",
            "Dan's favourite author is Ursula K. Le Guin",
            "Dan is renovating the kitchen and chose oak cabinets",
            "Dan's mother's birthday is on the 14th of June",
        ], topics: ["the move to Denver", "charging stations on I-70", "kitchen cabinets", "a birthday gift"]),
        Person(name: "erin", facts: [
            "Erin is a nurse who works night shifts on weekends",
            "Erin is saving for a house and tracks every expense",
            "Erin keeps bees and sells honey at the farmers market",
            "Erin's flight to Oslo has booking reference QX7ZP2",
            "Erin is lactose intolerant",
        ], topics: ["the Oslo flight", "the household budget", "the beehives", "shift schedules"]),
    ]

    static let userLines = [
        "Can you help me with %@?", "I need to sort out %@ this week.", "What did we decide about %@?",
        "Remind me what's left to do for %@.", "Any update on %@?", "Let's plan %@ step by step.",
        "I'm worried about %@.", "Thanks, that helped with %@.", "Can you summarise where we are with %@?",
    ]
    static let agentLines = [
        "I've noted the next steps for %@.", "Here is a short checklist for %@.", "I found two options for %@.",
        "I'll remind you about %@ tomorrow morning.", "The last thing we agreed on for %@ was to wait a week.",
        "I compared prices for %@ and saved the cheapest.", "I drafted a message about %@ for you to review.",
    ]

    static let procedures = [
        "To deploy the web app: run the tests, tag the release, then run make deploy from the main branch",
        "To reset a user's password: verify their email, then send a reset link that expires in one hour",
        "When a user mentions an allergy, store it as a semantic memory with importance 0.9",
        "To book travel: confirm dates, compare three fares, then ask before paying",
        "Summarise each session in three sentences at the end and store it as an episodic memory",
        "Never share one user's memories with another user",
    ]

    /// About 1,300 memories, oldest first, spread over the last 60 days.
    static func memories(now: Date = Date()) -> [NewMemory] {
        var generator = SplitMixGenerator(seed: 42)
        var items: [NewMemory] = []
        let start = now.addingTimeInterval(-60 * 86400)
        for (personIndex, person) in people.enumerated() {
            for (factIndex, fact) in person.facts.enumerated() {
                items.append(NewMemory(
                    text: fact, namespace: "user/\(person.name)", kind: .semantic,
                    metadata: ["topic": .string(["preference", "health", "family", "work", "plans"][factIndex % 5]), "user": .string(person.name)],
                    importance: fact.contains("allergic") || fact.contains("intolerant") ? 0.9 : 0.6, source: "conversation",
                    createdAt: start.addingTimeInterval(Double(personIndex * 3600 + factIndex * 60))
                ))
            }
            for session in 0..<4 {
                let sessionStart = start.addingTimeInterval(Double(session * 14 + personIndex) * 86400 + 36000)
                for turn in 0..<60 {
                    let topic = person.topics[Int(generator.next() % UInt64(person.topics.count))]
                    let userTurn = turn % 2 == 0
                    let lines = userTurn ? userLines : agentLines
                    let template = lines[Int(generator.next() % UInt64(lines.count))]
                    let text = (userTurn ? "\(person.name.capitalized): " : "Agent: ") + template.replacingOccurrences(of: "%@", with: topic)
                    items.append(NewMemory(
                        text: text, namespace: "user/\(person.name)/session/\(session + 1)", kind: .episodic,
                        metadata: ["speaker": .string(userTurn ? person.name : "agent"), "turn": .number(Double(turn))],
                        importance: 0.3, episode: "\(person.name)-\(session + 1)", createdAt: sessionStart.addingTimeInterval(Double(turn * 45))
                    ))
                }
            }
        }
        for (index, procedure) in procedures.enumerated() {
            items.append(NewMemory(text: procedure, namespace: "agent/procedures", kind: .procedural, metadata: ["topic": "howto"], importance: 0.8, createdAt: start.addingTimeInterval(Double(index * 60))))
        }
        items.sort { ($0.createdAt ?? now) < ($1.createdAt ?? now) }
        return items
    }
}

/// SplitMix64: a small seeded generator (the demo's text must be the same every run).
struct SplitMixGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
