#!/usr/bin/env python3
"""Generate examples/pricer/items.csv: a small synthetic product catalogue.

The data is entirely made up (seeded, so every run writes the same file). It
is shaped like the item data of a price estimator: a title, a free-text
description, a category and a price in dollars. Prices correlate with the
category, the product type and the attributes in the title, so a model has
something to learn.

The CSV deliberately exercises RFC 4180 quoting: descriptions contain commas,
double quotes (12" screen) and, in a few rows, an embedded newline. A handful
of rows are imperfect on purpose (empty price, empty description, price 0) so
that `finetune prepare` has something to report and `--where "price > 0"` has
something to filter.

Usage: python3 examples/pricer/make_items.py [--count 400] [--seed 7] [-o PATH]
"""

import argparse
import csv
import os
import random

# Each category: brands, category-wide attributes and phrases (true of every
# product in it), and products: (noun, low, high, sizes, own attributes, own
# phrases). Attributes are (text, price factor); a text starting with "with "
# goes after the noun in the title.
CATEGORIES = {
    "electronics": {
        "brands": ["Voltra", "Sonique", "Pixelon", "Nordwave", "Kestrel Audio", "Lumetrix", "Arcwell"],
        "attributes": [("Refurbished", 0.7), ("Gen 2", 1.1)],
        "phrases": [
            "Includes a braided USB-C cable, a quick-start guide and a 1-year warranty.",
            "Works with Windows, macOS, Android and iOS; no drivers needed.",
            "Firmware updates arrive over the companion app.",
        ],
        "products": [
            ("Wireless Earbuds", 19, 249, None, [("Pro", 1.45), ("with Active Noise Cancelling", 1.3), ("Sport", 1.05)], [
                "Pairs in seconds over Bluetooth 5.3 and keeps a stable link up to 30 feet away.",
                "Battery lasts up to 8 hours, and the case adds another 24.",
                "IPX5 sweat resistance, so a workout won't hurt them.",
            ]),
            ("Bluetooth Speaker", 24, 399, None, [("Waterproof", 1.15), ("Mini", 0.7), ("Party", 1.5)], [
                "Pairs in seconds over Bluetooth 5.3 and keeps a stable link up to 30 feet away.",
                "360-degree sound with deep, punchy bass.",
                "Battery lasts up to 24 hours, and a 10-minute charge adds another two.",
            ]),
            ("Portable Monitor", 119, 449, ['13.3"', '15.6"', '17"'], [("Touchscreen", 1.3), ("4K", 1.4)], [
                "The anti-glare IPS panel stays readable in direct sunlight.",
                "A single USB-C cable carries power and video.",
                "Folding smart cover doubles as a stand.",
            ]),
            ("4K Smart TV", 279, 1499, ['43"', '50"', '55"', '65"'], [("QLED", 1.3), ("OLED", 1.7)], [
                "Supports HDR10, Dolby Vision and a 120 Hz refresh rate.",
                "Built-in streaming apps, voice remote and three HDMI 2.1 ports.",
                "Game mode cuts input lag to under 10 ms.",
            ]),
            ("Noise-Cancelling Headphones", 59, 449, None, [("Pro", 1.45), ("Over-Ear", 1.1), ("Foldable", 1.0)], [
                "Adaptive noise cancelling quiets planes, trains and open offices.",
                "Battery lasts up to 30 hours, and a 10-minute charge adds another five.",
                "Memory-foam ear cushions stay comfortable for hours.",
            ]),
            ("USB-C Charger", 12, 79, ["30W", "65W", "100W"], [("GaN", 1.25), ("Dual-Port", 1.2)], [
                "Charges a laptop, a tablet and a phone at full speed.",
                "Foldable prongs make it easy to pack.",
                "Over-temperature and over-current protection built in.",
            ]),
            ("Action Camera", 79, 449, None, [("5K", 1.35), ("Waterproof", 1.15), ("Creator Bundle", 1.5)], [
                "Waterproof to 33 feet without a housing.",
                "Electronic stabilization keeps footage smooth on bumpy trails.",
                "Shoots 4K at 60 fps and 1080p at 240 fps for slow motion.",
            ]),
            ("E-Reader", 89, 279, ['6"', '7"', '10.3"'], [("Signature Edition", 1.4), ("Kids", 0.9)], [
                "A glare-free, 300 ppi display reads like printed paper.",
                "Weeks of battery life on a single charge.",
                "Warm light adjusts automatically for reading at night.",
            ]),
            ("Mechanical Keyboard", 39, 229, None, [("Wireless", 1.3), ("Tenkeyless", 0.9), ("RGB", 1.15)], [
                "Hot-swappable switches, so you can change the feel without soldering.",
                "Double-shot PBT keycaps resist shine and wear.",
                "Connects over USB-C, Bluetooth or a 2.4 GHz dongle.",
            ]),
            ("Webcam", 29, 189, None, [("1080p", 1.0), ("4K", 1.6), ("with Ring Light", 1.2)], [
                "Auto-focus and auto light correction keep you sharp on calls.",
                "Dual microphones with noise reduction.",
                "A privacy shutter slides over the lens when not in use.",
            ]),
        ],
    },
    "kitchen": {
        "brands": ["Copperleaf", "Ovenry", "Brightpan", "Hearth & Home", "Mistral Kitchen", "Cuisio"],
        "attributes": [("Professional Series", 1.6), ("Matte Black", 1.1)],
        "phrases": [
            "Backed by a limited lifetime warranty.",
            "Ships with a recipe booklet and a cleaning brush.",
        ],
        "products": [
            ("Chef's Knife", 14, 189, ['6"', '8"', '10"'], [("Damascus Steel", 1.6), ("Japanese", 1.3)], [
                "Forged from high-carbon German steel, honed to a 15-degree edge.",
                "The full-tang, riveted handle is balanced for long prep sessions.",
                "Hand wash and dry to keep the edge keen.",
            ]),
            ("Nonstick Frying Pan", 17, 129, ['8"', '10"', '12"'], [("Ceramic-Coated", 1.05), ("Hard-Anodized", 1.25)], [
                "PFOA-free coating; oven-safe up to 500\u00b0F.",
                "Heats evenly on gas, electric and induction cooktops.",
                "The ergonomic handle stays cool on the stovetop.",
            ]),
            ("Stand Mixer", 99, 649, ["4.5 qt", "5 qt", "6 qt"], [("Tilt-Head", 1.0), ("Bowl-Lift", 1.3)], [
                "Ten speeds, from a gentle stir to a fast whip.",
                "Comes with a flat beater, a dough hook and a wire whip.",
                "The stainless steel bowl is dishwasher-safe.",
            ]),
            ("Electric Kettle", 19, 129, ["1.0 L", "1.7 L"], [("Gooseneck", 1.4), ("Glass", 1.0), ("Stainless Steel", 1.15)], [
                "Boils a full pot in under five minutes.",
                "Variable temperature presets for green tea, oolong and French press.",
                "Auto shut-off and boil-dry protection.",
            ]),
            ("Air Fryer", 49, 249, ["4 qt", "5.8 qt", "8 qt"], [("Digital", 1.15), ("Dual-Basket", 1.5)], [
                "Crisps with up to 85% less oil than deep frying.",
                "Presets for fries, wings, fish and reheating.",
                "The nonstick basket is dishwasher-safe.",
            ]),
            ("Espresso Machine", 129, 1199, None, [("Dual Boiler", 1.8), ("with Grinder", 1.5), ("Compact", 0.75)], [
                "A 15-bar pump pulls rich, cafe-style shots.",
                "The steam wand textures milk for lattes and cappuccinos.",
                "Heats up in about 30 seconds.",
            ]),
            ("Cutting Board", 9, 79, None, [("End-Grain Walnut", 1.9), ("Bamboo", 0.9), ("Set of 3", 1.4)], [
                "Juice grooves catch drips, so your counter stays clean.",
                "Gentle on knife edges.",
                "Reversible: one side for meat, one side for vegetables.",
            ]),
            ("Dutch Oven", 39, 379, ["3.5 qt", "5.5 qt", "7.25 qt"], [("Enameled Cast Iron", 1.35), ("Cast Iron", 1.0)], [
                "Holds heat for slow braises, stews and crusty bread.",
                "Oven-safe up to 500\u00b0F, lid included.",
                "Works on every cooktop, including induction.",
            ]),
            ("Blender", 29, 499, None, [("High-Performance", 1.8), ("Personal", 0.6), ("Glass Jar", 1.1)], [
                "Crushes ice and frozen fruit in seconds.",
                "Variable speed control and a pulse setting.",
                "Self-cleans with warm water and a drop of soap.",
            ]),
            ("Measuring Cup Set", 6, 39, None, [("Stainless Steel", 1.3), ("Collapsible Silicone", 1.0)], [
                "Engraved markings won't fade, even in the dishwasher.",
                "Includes 1, 1/2, 1/3 and 1/4 cup sizes.",
                "Nests together to save drawer space.",
            ]),
        ],
    },
    "books": {
        "brands": ["Harbor Press", "Quill & Lantern", "Northfield Books", "Paper Crane", "Meridian House"],
        "attributes": [("Hardcover", 1.5), ("Paperback", 0.8), ("Second Edition", 1.1), ("Large Print", 1.15)],
        "phrases": [
            "Printed on acid-free paper with a sewn binding.",
            "Named one of the year's best books by several reviewers.",
        ],
        "products": [
            ("Cookbook", 12, 45, None, [("Illustrated Edition", 1.3)], [
                "More than 120 recipes, from weeknight dinners to holiday feasts.",
                "Includes full-color photographs on nearly every spread.",
                "Each recipe lists prep time, cook time and servings.",
            ]),
            ("Mystery Novel", 7, 29, None, [("Signed Copy", 2.2)], [
                "A page-turner that critics called \"impossible to put down\".",
                "A detective, a locked room and a village full of secrets.",
                "The first book in a bestselling series.",
            ]),
            ("Science Fiction Anthology", 9, 35, None, [("Box Set", 2.6)], [
                "Twenty stories from new voices and grand masters alike.",
                "Translated from the original French, with a new foreword.",
                "Covers first contact, time travel and life on generation ships.",
            ]),
            ("Field Guide to Birds", 14, 39, None, [("Waterproof Edition", 1.3)], [
                "Covers more than 800 species, with range maps.",
                "Illustrations show males, females and juveniles side by side.",
                "Small enough to fit in a jacket pocket.",
            ]),
            ("Programming Handbook", 24, 79, None, [("with Online Exercises", 1.2)], [
                "Written for beginners, yet detailed enough for experts.",
                "Every chapter ends with exercises and worked solutions.",
                "Covers testing, debugging and performance tuning.",
            ]),
            ("Children's Picture Book", 6, 24, None, [("Board Book", 0.9)], [
                "A gentle bedtime story about a fox who can't fall asleep.",
                "Bright, playful illustrations on every page.",
                "Recommended for ages 2 to 5.",
            ]),
            ("World Atlas", 19, 89, None, [("Illustrated Edition", 1.4), ("Deluxe", 1.6)], [
                "Over 300 pages, with maps, a glossary and an index.",
                "Updated borders, populations and place names.",
                "Thematic maps cover climate, geology and trade.",
            ]),
            ("History of the Mediterranean", 15, 55, None, [("Illustrated Edition", 1.4)], [
                "Spans three thousand years, from Phoenician traders to modern ferries.",
                "Drawn from letters, ship logs and archaeological finds.",
                "Includes maps, a timeline and extensive notes.",
            ]),
        ],
    },
    "toys": {
        "brands": ["Tinker Town", "Bramble Bear", "Rocket Pals", "Blocksmith", "Giggle Forge"],
        "attributes": [("Deluxe", 1.5), ("Collector's Edition", 1.9)],
        "phrases": [
            "A great gift for birthdays, holidays or a rainy afternoon.",
            "Made from non-toxic, BPA-free materials.",
        ],
        "products": [
            ("Building Block Set", 14, 199, ["250-piece", "600-piece", "1,200-piece"], [("STEM Series", 1.2), ("Space Station", 1.3)], [
                "Compatible with other major brick brands.",
                "Encourages creativity, problem solving and fine motor skills.",
                "Step-by-step instructions for three different builds.",
            ]),
            ("Remote Control Car", 24, 149, None, [("Rechargeable", 1.25), ("Off-Road", 1.2), ("Stunt", 1.0)], [
                "Reaches 20 mph on pavement, grass and gravel.",
                "Batteries included, so the fun starts right out of the box.",
                "Shock-absorbing wheels survive jumps and crashes.",
            ]),
            ("Plush Dinosaur", 9, 39, ['10"', '14"', '24"'], [("Glow-in-the-Dark", 1.1), ("Weighted", 1.3)], [
                "Super-soft and machine washable.",
                "Embroidered eyes are safe for toddlers.",
                "Recommended for all ages.",
            ]),
            ("Wooden Train Set", 29, 129, None, [("Eco Wood", 1.15), ("Starter Pack", 0.8)], [
                "Includes 40 pieces of track, a bridge and three engines.",
                "Sustainably sourced beech wood with water-based paints.",
                "Recommended for ages 3 and up; contains small parts.",
            ]),
            ("Jigsaw Puzzle", 9, 34, ["500-piece", "1000-piece", "2000-piece"], [("Landscape", 1.0), ("Panoramic", 1.2)], [
                "Precision-cut pieces fit snugly, with no false fits.",
                "Glare-free linen finish.",
                "Includes a full-size reference poster.",
            ]),
            ("Science Kit", 19, 79, None, [("STEM Series", 1.2), ("Chemistry", 1.1), ("Crystal-Growing", 0.9)], [
                "Twenty experiments with easy, illustrated instructions.",
                "Recommended for ages 8 and up; adult supervision required.",
                "Includes goggles, test tubes and a magnifier.",
            ]),
            ("Board Game", 14, 69, None, [("Strategy", 1.2), ("Family", 1.0), ("Expansion", 0.8)], [
                "For 2 to 6 players; a round takes about 45 minutes.",
                "Easy to learn, with enough depth for repeat plays.",
                "Won several awards for its clever co-op mechanics.",
            ]),
            ("Dollhouse", 49, 249, None, [("Three-Story", 1.4), ("with Furniture", 1.3)], [
                "Includes an elevator, a balcony and working shutters.",
                "Assembles in about an hour; all hardware included.",
                "Recommended for ages 3 and up.",
            ]),
        ],
    },
    "tools": {
        "brands": ["Ironclad", "Torqline", "Granite Works", "Buildmark", "Ridgeback Tools", "Stanhope"],
        "attributes": [("Heavy-Duty", 1.25), ("Contractor Grade", 1.45)],
        "phrases": [
            "Backed by a 3-year limited warranty.",
            "Rubberized grip reduces fatigue during long jobs.",
        ],
        "products": [
            ("Cordless Drill", 49, 299, ["12V", "18V", "20V"], [("Brushless", 1.35), ("Kit with 2 Batteries", 1.6), ("Tool Only", 0.7)], [
                "Variable-speed trigger gives precise control from 0 to 1,700 RPM.",
                "The LED work light illuminates dark corners.",
                "Comes in a rugged carrying case, with room for accessories.",
            ]),
            ("Socket Set", 24, 249, ["40-piece", "108-piece", "230-piece"], [("Chrome Vanadium", 1.15), ("Metric and SAE", 1.1)], [
                "Quick-release ratchets with a 72-tooth gear.",
                "Comes in a rugged carrying case, with room for accessories.",
                "Laser-etched sizes are easy to read.",
            ]),
            ("Circular Saw", 59, 329, ['6-1/2"', '7-1/4"'], [("Cordless", 1.3), ("Worm Drive", 1.5)], [
                "Bevels to 56 degrees with positive stops at 45 and 90.",
                "An electric brake stops the blade in seconds.",
                "Includes a 24-tooth carbide blade.",
            ]),
            ("Claw Hammer", 9, 49, ["16 oz", "20 oz"], [("Fiberglass Handle", 1.0), ("Titanium", 3.0)], [
                "Forged steel head with a magnetic nail starter.",
                "Anti-vibration handle absorbs shock.",
                "Drop-tested from 6 feet onto concrete.",
            ]),
            ("Laser Level", 29, 289, None, [("Green Beam", 1.4), ("Self-Leveling", 1.2), ("Cross-Line", 1.0)], [
                "Accurate to 1/8\" at 30 feet.",
                "Mounts on a tripod or a magnetic bracket.",
                "Visible indoors up to 100 feet.",
            ]),
            ("Screwdriver Set", 12, 89, ["6-piece", "12-piece", "42-piece"], [("Magnetic", 1.05), ("Insulated", 1.4), ("Precision", 0.9)], [
                "Hardened tips resist cam-out and stripping.",
                "Color-coded handles make the right driver easy to find.",
                "Storage rack included.",
            ]),
            ("Tape Measure", 6, 34, ["16 ft", "25 ft", "35 ft"], [("Magnetic", 1.1), ("Compact", 0.85)], [
                "The nylon-coated blade stands out 13 feet.",
                "A belt clip and a wrist strap keep it close.",
                "Drop-tested from 6 feet onto concrete.",
            ]),
            ("Impact Driver", 69, 279, ["18V", "20V"], [("Brushless", 1.35), ("Tool Only", 0.7), ("Kit with 2 Batteries", 1.6)], [
                "Delivers up to 1,800 in-lbs of torque.",
                "The 1/4\" hex chuck accepts bits with one hand.",
                "The LED work light illuminates dark corners.",
            ]),
            ("Workbench", 79, 499, ['48"', '60"', '72"'], [("Adjustable-Height", 1.3), ("Folding", 0.8)], [
                "The solid hardwood top supports up to 1,000 lb.",
                "Pegboard back panel and two drawers for storage.",
                "Assembly takes about 45 minutes.",
            ]),
        ],
    },
    "garden": {
        "brands": ["Greenhaven", "Fernwood", "Sunplot", "Willow & Stone", "Terraforma"],
        "attributes": [("Weatherproof", 1.15), ("Budget", 0.7)],
        "phrases": [
            "Ideal for patios, balconies and small yards.",
            "Weather-resistant construction stands up to rain, sun and frost.",
        ],
        "products": [
            ("Garden Hose", 19, 89, ["25 ft", "50 ft", "100 ft"], [("Expandable", 1.0), ("Heavy-Duty Rubber", 1.4)], [
                "Solid brass fittings, kink-free and leak-proof.",
                "Comes with a 10-pattern spray nozzle.",
                "Drinking-water safe and lead-free.",
            ]),
            ("Raised Garden Bed", 39, 249, ["2 x 4 ft", "4 x 4 ft", "4 x 8 ft"], [("Cedar", 1.25), ("Galvanized Steel", 1.2)], [
                "Assembles in under 20 minutes with no tools required.",
                "Open-bottom design lets roots reach the soil below.",
                "Deep enough for tomatoes, peppers and root vegetables.",
            ]),
            ("Pruning Shears", 9, 59, None, [("Bypass", 1.0), ("Ratchet", 1.3)], [
                "Cuts branches up to 3/4\" thick.",
                "SK5 steel blades stay sharp season after season.",
                "A safety lock keeps the blades closed in your pocket.",
            ]),
            ("Lawn Mower", 149, 1299, ['16"', '20"', '21"'], [("Cordless", 1.3), ("Self-Propelled", 1.5), ("Gas", 1.2)], [
                "Mulches, bags or side-discharges.",
                "Seven cutting heights from 1.5\" to 4\".",
                "Folds flat for storage against a wall.",
            ]),
            ("Patio Umbrella", 39, 299, ["7.5 ft", "9 ft", "11 ft"], [("Cantilever", 1.6), ("Solar LED", 1.3)], [
                "UV-resistant canopy blocks 98% of the sun's rays.",
                "Push-button tilt and an easy crank to open.",
                "Vented top releases heat and steadies it in wind.",
            ]),
            ("Bird Feeder", 12, 69, None, [("Squirrel-Proof", 1.5), ("Cedar", 1.2), ("Window-Mounted", 0.8)], [
                "Holds up to 3 lb of mixed seed.",
                "Removable base makes cleaning easy.",
                "Four perches let several birds feed at once.",
            ]),
            ("Solar Path Lights", 15, 79, ["4-pack", "8-pack", "12-pack"], [("Warm White", 1.0), ("Color-Changing", 1.2)], [
                "Solar panels charge during the day; lights turn on automatically at dusk.",
                "Stake into the ground; no wiring needed.",
                "Runs 8 to 10 hours on a full charge.",
            ]),
            ("Leaf Blower", 39, 329, None, [("Cordless", 1.3), ("Backpack", 1.8), ("with Vacuum and Mulcher", 1.3)], [
                "Air speeds up to 150 mph clear wet leaves.",
                "Variable speed with a cruise-control setting.",
                "Lightweight, yet sturdy enough for daily use.",
            ]),
        ],
    },
    "sports": {
        "brands": ["Peakline", "Stridewell", "Trailborn", "Apex Athletic", "Riverstone Outdoor"],
        "attributes": [("Competition Grade", 1.6), ("Beginner", 0.75)],
        "phrases": [
            "Tested by athletes from the Alps to the Rockies.",
            "Covered by a 2-year warranty against defects.",
        ],
        "products": [
            ("Yoga Mat", 14, 99, None, [("Non-Slip", 1.05), ("Cork", 1.4), ("Extra-Thick", 1.2)], [
                "The non-slip surface grips, even in hot yoga.",
                "6 mm of cushioning protects knees and wrists.",
                "Comes with a carrying strap.",
            ]),
            ("Adjustable Dumbbells", 49, 429, ["25 lb", "52.5 lb", "90 lb"], [("Quick-Select", 1.3), ("Pair", 1.8)], [
                "Replaces 15 sets of weights in one compact rack.",
                "Turn the dial to change weight in seconds.",
                "Molded handles give a secure grip.",
            ]),
            ("Running Shoes", 49, 189, None, [("Trail", 1.1), ("Carbon-Plated", 1.7), ("Women's", 1.0), ("Men's", 1.0)], [
                "Breathable mesh upper keeps your feet cool on long runs.",
                "Responsive foam returns energy with every stride.",
                "A grippy outsole handles wet pavement.",
            ]),
            ("Camping Tent", 59, 599, ["2-person", "4-person", "6-person"], [("Ultralight", 1.6), ("Waterproof", 1.15)], [
                "Sets up in five minutes with color-coded poles.",
                "A full rainfly and taped seams keep you dry.",
                "Packs down small enough to strap to a backpack.",
            ]),
            ("Mountain Bike", 299, 1499, ['27.5"', '29"'], [("Carbon Fiber", 1.7), ("Full-Suspension", 1.5), ("Hardtail", 1.0)], [
                "Hydraulic disc brakes stop confidently in the wet.",
                "A 12-speed drivetrain climbs steep trails.",
                "Tubeless-ready wheels and a dropper seatpost.",
            ]),
            ("Insulated Water Bottle", 12, 49, ["20 oz", "32 oz", "40 oz"], [("Wide-Mouth", 1.0), ("with Straw Lid", 1.1)], [
                "Double-wall vacuum insulation keeps drinks cold for 24 hours.",
                "Leak-proof lid, dishwasher-safe.",
                "Fits most cup holders.",
            ]),
            ("Tennis Racket", 24, 249, None, [("Carbon Fiber", 1.7), ("Junior", 0.6)], [
                "A 100 sq. in. head gives a forgiving sweet spot.",
                "Pre-strung at 55 lb, with a protective cover.",
                "Balanced for control on groundstrokes and volleys.",
            ]),
            ("Hiking Backpack", 39, 279, ["28 L", "40 L", "65 L"], [("Ultralight", 1.4), ("Women's", 1.0)], [
                "Adjustable straps, a padded hip belt and a rain cover.",
                "Hydration-sleeve compatible.",
                "A ventilated back panel reduces sweat on hot days.",
            ]),
        ],
    },
    "beauty": {
        "brands": ["Lumiere", "Petal & Pine", "Aurelle", "Clearwell", "Maison Rose"],
        "attributes": [("Limited Edition", 1.4), ("Travel Size", 0.6)],
        "phrases": [
            "Cruelty-free and never tested on animals.",
            "Loved by reviewers, with over 2,000 five-star ratings.",
        ],
        "products": [
            ("Vitamin C Serum", 12, 89, ["1 fl oz", "2 fl oz"], [("Organic", 1.25), ("Fragrance-Free", 1.0)], [
                "Brightens dull skin and evens out tone.",
                "Lightweight formula absorbs quickly, without a greasy feel.",
                "Apply morning and evening to clean, dry skin.",
            ]),
            ("Hair Dryer", 29, 429, None, [("Ionic", 1.2), ("Salon Professional", 1.6), ("Compact", 0.8)], [
                "Three heat settings, two speeds and a cool-shot button.",
                "Ionic technology cuts frizz and drying time.",
                "Includes a concentrator and a diffuser.",
            ]),
            ("Moisturizing Cream", 9, 119, ["1.7 oz", "3.4 oz"], [("Sensitive Skin", 1.05), ("Night", 1.1), ("Organic", 1.25)], [
                "Dermatologist-tested and suitable for sensitive skin.",
                "Hyaluronic acid and ceramides lock in moisture all day.",
                "Vegan and free of parabens.",
            ]),
            ("Eyeshadow Palette", 12, 69, None, [("Nude", 1.0), ("Neon", 1.0)], [
                "Twelve shades in matte, shimmer and metallic finishes.",
                "Richly pigmented and easy to blend.",
                "Comes with a mirror and a double-ended brush.",
            ]),
            ("Electric Toothbrush", 24, 249, None, [("Sonic", 1.1), ("Smart", 1.5), ("Kids", 0.6)], [
                "A built-in two-minute timer pauses every 30 seconds.",
                "Five cleaning modes, including whitening and gum care.",
                "A single charge lasts three weeks.",
            ]),
            ("Perfume", 29, 249, ["30 ml", "50 ml", "100 ml"], [("Eau de Parfum", 1.3), ("Eau de Toilette", 1.0), ("Gift Set", 1.5)], [
                "Reviewers describe the scent as \"fresh, warm and woody\".",
                "Notes of bergamot, cedar and vanilla.",
                "A long-lasting fragrance for day or night.",
            ]),
            ("Sunscreen SPF 50", 8, 39, None, [("Mineral", 1.2), ("Sport", 1.1)], [
                "Water-resistant for 80 minutes.",
                "Broad-spectrum UVA and UVB protection.",
                "Reef-friendly formula that leaves no white cast.",
            ]),
        ],
    },
    "office": {
        "brands": ["Deskwise", "Inkwell & Co", "Paperline", "Orbit Office", "Clerkwell"],
        "attributes": [("Executive", 1.5), ("Economy", 0.7)],
        "phrases": [
            "Ships in 1-2 business days.",
            "A smart upgrade for a home office or a shared workspace.",
        ],
        "products": [
            ("Ergonomic Office Chair", 89, 899, None, [("Mesh", 1.05), ("Leather", 1.4), ("with Headrest", 1.2)], [
                "Lumbar support adjusts in four directions for all-day comfort.",
                "3D armrests, seat-depth adjustment and a locking tilt.",
                "Rated for users up to 300 lb.",
            ]),
            ("Standing Desk", 179, 899, ['48"', '55"', '60"'], [("Dual Motor", 1.4), ("Bamboo", 1.15), ("L-Shaped", 1.5)], [
                "Memory presets remember your sitting and standing heights.",
                "Anti-collision sensor stops the desk if it meets resistance.",
                "Quiet operation, so it won't disturb your calls.",
            ]),
            ("Fountain Pen", 9, 189, None, [("Fine Nib", 1.0), ("Gold Nib", 3.0), ("Demonstrator", 1.1)], [
                "Smooth-writing, fade-resistant ink that dries in seconds.",
                "Fills from cartridges or the included converter.",
                "Comes in a gift box.",
            ]),
            ("Notebook Pack", 6, 34, ["3-pack", "5-pack", "10-pack"], [("Dotted Grid", 1.0), ("Hardcover", 1.4)], [
                "100 sheets of 90 gsm paper; fountain-pen friendly.",
                "Lay-flat binding and numbered pages.",
                "An elastic closure and a ribbon bookmark.",
            ]),
            ("Desk Lamp", 19, 149, None, [("LED", 1.0), ("Architect", 1.3), ("with Wireless Charger", 1.3)], [
                "Five color temperatures and ten brightness levels.",
                "Flicker-free light that is easy on the eyes.",
                "A flexible arm puts light exactly where you need it.",
            ]),
            ("Label Maker", 24, 129, None, [("Bluetooth", 1.3), ("Handheld", 1.0)], [
                "Prints labels up to 1\" wide.",
                "Dozens of fonts, symbols and frames.",
                "Includes a starter tape cartridge.",
            ]),
            ("Paper Shredder", 39, 299, ["8-sheet", "12-sheet", "18-sheet"], [("Cross-Cut", 1.2), ("Micro-Cut", 1.5)], [
                "Shreds credit cards, staples and paper clips.",
                "Runs 20 minutes before a cool-down.",
                "Quiet operation, so it won't disturb your calls.",
            ]),
            ("Monitor Arm", 29, 199, None, [("Dual", 1.5), ("Gas Spring", 1.2)], [
                "Clamp or grommet mounting; holds monitors up to 32\".",
                "Tilts, swivels and rotates to portrait.",
                "Built-in cable management keeps the desk tidy.",
            ]),
        ],
    },
    "automotive": {
        "brands": ["Roadmaster", "Torque & Tread", "Autovance", "Highway Gear", "Pitlane"],
        "attributes": [("Heavy-Duty", 1.25), ("Compact", 0.85)],
        "phrases": [
            "Fits most cars, SUVs and pickup trucks.",
            "Backed by a 2-year warranty and friendly support.",
        ],
        "products": [
            ("Dash Cam", 39, 299, None, [("Front and Rear", 1.5), ("4K", 1.4)], [
                "Loop recording, G-sensor and night vision come standard.",
                "Plugs into the 12V socket; no wiring or tools needed.",
                "A 3\" screen makes playback easy.",
            ]),
            ("Car Jump Starter", 49, 199, ["1000A", "2000A", "4000A"], [("Lithium", 1.1), ("with Air Compressor", 1.4)], [
                "Starts gas engines up to 8 liters.",
                "Doubles as a power bank for phones and tablets.",
                "Reverse-polarity protection makes it safe for beginners.",
            ]),
            ("Tire Inflator", 24, 129, None, [("Cordless", 1.2), ("Digital", 1.1)], [
                "Digital gauge shows pressure in PSI, BAR and kPa.",
                "Auto shut-off at your preset pressure.",
                "Inflates a car tire in about four minutes.",
            ]),
            ("All-Weather Floor Mats", 29, 199, None, [("Custom Fit", 1.35), ("Universal Fit", 0.9), ("3-Row", 1.4)], [
                "Laser-measured for a precise fit, with raised edges to trap mud and snow.",
                "Odorless, flexible rubber, even in sub-zero cold.",
                "Rinse clean with a hose.",
            ]),
            ("Car Vacuum", 19, 99, None, [("Cordless", 1.2), ("Wet/Dry", 1.1)], [
                "Strong suction pulls crumbs from between the seats.",
                "A HEPA filter traps fine dust.",
                "Comes with a crevice tool, a brush and a storage bag.",
            ]),
            ("Wiper Blades", 9, 49, ['18"', '22"', '26"'], [("Beam", 1.2), ("Silicone", 1.3), ("Pair", 1.8)], [
                "Streak-free wipes in rain, sleet and snow.",
                "Installs in seconds with the included adapters.",
                "Rated for 12 months of everyday use.",
            ]),
            ("Roof Cargo Box", 199, 899, ["14 cu ft", "16 cu ft", "18 cu ft"], [("Low-Profile", 1.1), ("Dual-Side Opening", 1.25)], [
                "Aerodynamic shell cuts wind noise on the highway.",
                "Locks from both sides; two keys included.",
                "Mounts on most crossbars without tools.",
            ]),
            ("OBD2 Scanner", 19, 249, None, [("Bluetooth", 1.15), ("Professional", 2.2)], [
                "Reads and clears check-engine codes in seconds.",
                "Live data for RPM, coolant temperature and fuel trims.",
                "Works with most cars built after 1996.",
            ]),
        ],
    },
}

GENERIC_OPENERS = [
    "A dependable everyday pick from {brand}.",
    "{brand} designed this {noun_lc} for people who want quality without fuss.",
    "Our best-selling {noun_lc}, now in a refreshed design.",
    "Built to last, the {title} is a favorite of reviewers.",
    "Meet the {noun_lc} that fits your routine, your space and your budget.",
    "New for this season from {brand}.",
]

GENERIC_CLOSERS = [
    "Free returns within 30 days.",
    "Available in black, white and slate gray.",
    "Rated 4.6 out of 5 by verified buyers.",
    "Packaging is 100% recyclable.",
    "Ships in 1-2 business days.",
    "Care instructions: wipe clean with a damp cloth.",
]

# Products whose size is a screen diagonal; descriptions then mention it.
SCREENS = {"Portable Monitor", "4K Smart TV", "E-Reader"}
SCREEN_TAILS = [
    "is bright, sharp and color-accurate.",
    "fits a desk, a bag or a bedside table, depending on the model.",
    "has thin bezels on three sides.",
]

# Lines appended after an embedded newline in a few descriptions.
SECOND_LINES = [
    "Note: colors may vary slightly from the photos.",
    "In the box: 1 unit, user manual, warranty card.",
    "Model year 2024; replaces the previous version.",
]


def make_price(rng, low, high, factor):
    """A price in [low, high] scaled by factor, shaped like a retail price."""
    base = low + (high - low) * (rng.random() ** 1.6)  # skewed toward cheaper
    price = base * factor * rng.uniform(0.92, 1.08)
    price = min(max(price, 3.99), 1499.0)
    if price < 20:
        cents = rng.choice([0.99, 0.49, 0.95, 0.0])
        price = max(3.99, int(price) + cents) if cents else float(int(price))
    elif price < 200:
        price = int(price) + rng.choice([0.99, 0.99, 0.95, 0.0, 0.49])
    else:
        price = round(price / 10) * 10 - rng.choice([0.01, 1.0, 0.0, 5.01])
    return min(max(round(price, 2), 3.99), 1499.0)


def make_item(rng, category):
    spec = CATEGORIES[category]
    brand = rng.choice(spec["brands"])
    noun, low, high, sizes, own_attrs, own_phrases = rng.choice(spec["products"])
    factor = 1.0
    size = None
    if sizes:
        idx = rng.randrange(len(sizes))
        size = sizes[idx]
        # Larger sizes cost more: spread the factor over 0.8..1.35.
        factor *= 0.8 + 0.55 * (idx / max(1, len(sizes) - 1))
    pool = own_attrs + spec["attributes"]
    attrs = rng.sample(pool, k=min(len(pool), rng.choice([0, 1, 1, 1, 2])))
    for _, f in attrs:
        factor *= f
    parts = [brand] + [a for a, _ in attrs if not a.startswith("with ")]
    if size:
        parts.append(size)
    parts.append(noun)
    parts += [a for a, _ in attrs if a.startswith("with ")]
    title = " ".join(parts)
    if rng.random() < 0.12:
        title += ", " + rng.choice(["Black", "Silver", "Navy Blue", "Sage Green", "Charcoal"])

    fields = {"brand": brand, "noun_lc": noun.lower(), "title": title}
    n = rng.choice([1, 2, 2, 3, 3])
    sentences = []
    if rng.random() < 0.4:
        sentences.append(rng.choice(GENERIC_OPENERS).format(**fields))
    sentences += rng.sample(own_phrases, k=min(n, len(own_phrases)))
    if rng.random() < 0.35:
        sentences.append(rng.choice(spec["phrases"]))
    if rng.random() < 0.25:
        sentences.append(rng.choice(GENERIC_CLOSERS))
    sentences = sentences[:n] if len(sentences) > n and rng.random() < 0.5 else sentences[:3]
    if noun in SCREENS and rng.random() < 0.6:
        sentences = [f"The {size} screen {rng.choice(SCREEN_TAILS)}"] + sentences[:2]
    description = " ".join(sentences)
    if rng.random() < 0.01:
        description += "\n" + rng.choice(SECOND_LINES)

    price = make_price(rng, low, high, factor)
    return {"title": title, "description": description, "category": category, "price": f"{price:.2f}"}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=400, help="number of rows (default 400)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("-o", "--output", default=os.path.join(here, "items.csv"))
    args = parser.parse_args()

    rng = random.Random(args.seed)
    categories = sorted(CATEGORIES)
    items = []
    seen = set()
    while len(items) < args.count:
        item = make_item(rng, rng.choice(categories))
        if item["title"] in seen and rng.random() < 0.8:
            continue  # keep titles mostly unique
        seen.add(item["title"])
        items.append(item)

    # Guarantee a few multi-line descriptions regardless of chance.
    for i in (17, 123, 288):
        if i < len(items) and "\n" not in items[i]["description"]:
            items[i]["description"] += "\n" + SECOND_LINES[i % len(SECOND_LINES)]

    # Deliberately imperfect rows, at fixed positions.
    if args.count >= 400:
        for i in (41, 187, 333):
            items[i]["price"] = ""            # missing price
        for i in (96, 250):
            items[i]["description"] = ""      # missing description
        items[372]["price"] = "0.00"          # filtered by --where "price > 0"

    with open(args.output, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["title", "description", "category", "price"],
                                quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        writer.writeheader()
        writer.writerows(items)
    print(f"wrote {len(items)} items to {args.output}")


if __name__ == "__main__":
    main()
