"""Generate a synthetic site-builder project for benchmarks, and convert it for Hugo.

    python benchmarks/corpus.py OUT --articles 10000 --entities 3000 [--seed 1] [--hugo HUGO_OUT]

The corpus is deterministic for a given seed and sentence source. Sentences
come from the BBC News corpus in ``/work/shared/corpora/bbc/`` when it exists
(read at run time, never stored in the repository), otherwise from a built-in
word list. Entity names are generated proper names, checked never to be an
ordinary word of the sentence source and never to overlap another name, and
are mentioned with Zipf popularity: the most popular entity appears in about
80% of the articles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import re
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

BBC_DIR = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "bbc"
BODY_WORDS = 580
MENTIONS = 15
MARKER = ".benchmark-corpus"
TOP_SHARE = 0.80
"""Share of the articles that mention the most popular entity."""

TAGS = ("politics", "business", "technology", "science", "culture", "sport", "health", "world")
FIRST_NAMES = (
    "Amara Anders Beatrix Bogdan Caspian Celeste Dagny Darius Elodie Emeric Fenna Florian Giada Gunnar "
    "Hedda Horatio Ilse Isidore Jolanda Jasper Katrin Leopold Liesel Lorcan Magnus Marisol Nadia Niamh "
    "Octavia Oswin Petra Piotr Quentin Rosalind Rasmus Saoirse Soren Tamsin Thaddeus Ulrike Valentin "
    "Vesna Wilhelmina Wendell Xenia Yusuf Zofia Zoltan Agnieszka Barnaby Cosima Dmitri Esperanza Fintan "
    "Griselda Hamish Ingrid Jovan Kasimir Ludmila Matthias Noemi Ottilie Perpetua Radomir Sigrun Tobias "
    "Annelise Benedikt Clementine Desmond Evander Franziska Gideon Henrietta Ignatius Juliana Konstantin "
    "Leontine Mireille Nikolai Ophelia Ptolemy Rowena Sebastian Theodora Ulysses Veronika Winifred "
    "Ximena Yolanda Zacharias Anouk Bartholomew Cordelia Dorothea Eustace Faustina Gwendolyn Hyacinth"
).split()
LAST_NAMES = (
    "Abernathy Achterberg Bellweather Blomqvist Castellanos Czarnecki Dunleavy Drummond Eckhardt Esposito "
    "Fairweather Fitzgerald Gallagher Grunewald Halvorsen Hargreaves Ibarra Ivanova Jankowski Jessup "
    "Kowalczyk Kristiansen Lindqvist Llewellyn Macready Montgomery Nakamura Novotny Oyelaran Ostrowski "
    "Pemberton Petrakis Quigley Quintero Rasmussen Rutherford Santangelo Szabo Thorvaldsen Trevelyan "
    "Underhill Urquhart Valdivia Vasquez Wakefield Wojcik Yamamoto Yardley Zielinski Zimmermann "
    "Ashcombe Brannigan Carrizosa Delacroix Eriksen Fontaine Gustafsson Holloway Iglesias Jablonski "
    "Kavanagh Lachance Mendelsohn Nightingale Okonkwo Pellegrini Ravenscroft Stavros Tremblay Villanueva "
    "Aldershaw Brightwater Cavendish Dorrington Ellingworth Fenwicke Goldsworthy Hazlehurst Isherwood "
    "Juniper Kettleby Larkspur Merriweather Northcott Oakenfold Penhaligon Quarrington Rainsford "
    "Sackville Thistlewood Umberfield Vandermeer Whitlock Yelverton Zabriskie Ambrose Blackwood Carrow"
).split()
ONSETS = "b br d dr f g gr h k kr l m n p pr r s st t tr v z sh th".split()
VOWELS = "a e i o u a e o ae ei ou ia".split()
CODAS = ["", "", "", "l", "n", "r", "s", "m", "k", "th", "nd", "rv"]
PLACE_SUFFIXES = "burg ford ville stad haven mouth field dale port wick holm grad minster ania ara".split()
ORG_KINDS = ("Holdings Group Partners Institute Foundation Industries Capital Systems Bank Trust "
             "Labs Media Logistics Energy Alliance Council").split()
ROLES = {
    "person": ("economist", "novelist", "trade union leader", "central banker", "film director",
               "football manager", "minister", "chief executive", "physicist", "campaigner"),
    "place": ("port city", "mountain town", "river town", "industrial city", "island capital",
              "market town", "coastal province", "border region"),
    "organization": ("investment firm", "research institute", "charity", "shipping company",
                     "broadcaster", "trade body", "software maker", "energy utility"),
}
WORDS = (
    "the a of to and in that for on with as by at from is was were has have had will would could said "
    "year years government people company market time new last first week month officials report plan "
    "growth prices rise fall support deal talks agreement policy public service services economy minister "
    "figures analysts expected according recent months several million billion percent rate rates "
    "business industry sector local national international country countries city region leaders "
    "election vote campaign party parties court ruling decision case law rules group board team season "
    "match players club final game record sales profits shares investors bank banks trade exports jobs "
    "workers staff union pay budget tax spending health schools students research study data results "
    "technology software online users network mobile phone film music award festival show audience "
    "more most many some other new early late strong weak higher lower major key further latest "
    "announced warned added told agreed expects reported rose fell increased reduced launched "
    "this its their his her which who while after before during because since under over about"
).split()

_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"])")
_SAFE_SENTENCE = re.compile(r"^[A-Z][A-Za-z0-9 ,.;:'\"?!%$£()\-]+[.!?\"]$")
_WORD = re.compile(r"[A-Za-z]+")
_CAP_RUN = re.compile(r"\b[A-Z][A-Za-z]*(?:[ \t\n]+[A-Z][A-Za-z]*)*")


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    type: str
    description: str
    body: str


@dataclass(frozen=True)
class SentenceSource:
    """Sentences to build bodies from, and the words they use (names must avoid them)."""

    sentences: list[str]
    words: frozenset[str]
    """Every word, lower-cased."""
    bigrams: frozenset[str]
    """Every pair of adjacent words, as written."""
    origin: str


def sentence_source(bbc_dir: Path = BBC_DIR) -> SentenceSource:
    """Sentences from the BBC corpus if present, else from the built-in word list."""
    files = sorted(p for p in bbc_dir.rglob("*.md") if p.name != "README.md") if bbc_dir.is_dir() else []
    if files:
        seen: dict[str, None] = {}
        for path in files:
            _, body = split_front_matter(path.read_text(encoding="utf-8"))
            for paragraph in body.split("\n\n"):
                for sentence in _SENTENCE_SPLIT.split(" ".join(paragraph.split())):
                    if _SAFE_SENTENCE.match(sentence) and 6 <= sentence.count(" ") + 1 <= 40:
                        seen.setdefault(sentence)
        sentences, origin = list(seen), f"BBC News sentences from {bbc_dir}"
    else:
        rng = random.Random(0)
        sentences = []
        for _ in range(5000):
            words = rng.choices(WORDS, k=rng.randint(8, 20))
            sentences.append(" ".join(words).capitalize() + ".")
        origin = "built-in word list"
    vocabulary: set[str] = set()
    bigrams: set[str] = set()
    for sentence in sentences:
        tokens = _WORD.findall(sentence)
        vocabulary.update(t.lower() for t in tokens)
        bigrams.update(f"{a} {b}" for a, b in zip(tokens, tokens[1:]))
    return SentenceSource(sentences, frozenset(vocabulary), frozenset(bigrams), origin)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """Parse the simple front matter this module writes (``key: JSON or bare value`` lines)."""
    if not text.startswith("---\n"):
        return {}, text
    head, _, body = text[4:].partition("\n---\n")
    data: dict[str, object] = {}
    for line in head.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            value = value.strip()
            try:
                data[key.strip()] = json.loads(value)
            except json.JSONDecodeError:
                data[key.strip()] = value
    return data, body.lstrip("\n")


class _Names:
    """Unique proper names: no name is a word of the sentences, none overlaps another."""

    def __init__(self, source: SentenceSource, rng: random.Random) -> None:
        self.source, self.rng = source, rng
        self.taken: set[str] = set()  # lower-cased full names
        self.singles: set[str] = set()  # single-word names and organisation stems
        self.multi_tokens: set[str] = set()  # words of multi-word names

    def _stem(self, syllables: int) -> str:
        r = self.rng
        return "".join(r.choice(ONSETS) + r.choice(VOWELS) + r.choice(CODAS) for _ in range(syllables)).capitalize()

    def _free_single(self, word: str) -> bool:
        return (word.lower() not in self.source.words and word not in self.multi_tokens
                and word not in self.singles and word.lower() not in self.taken)

    def _claim(self, name: str, single: str | None = None) -> str:
        self.taken.add(name.lower())
        if single is not None:
            self.singles.add(single)
        if " " in name:
            self.multi_tokens.update(w for w in name.split() if w != single)
        return name

    def person(self) -> str:
        for _ in range(100_000):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            name = f"{first} {last}"
            if (name.lower() not in self.taken and not self.singles.intersection((first, last))
                    and name not in self.source.bigrams):
                return self._claim(name)
        raise ValueError("out of person names: generate fewer entities")

    def place(self) -> str:
        while True:
            stem = self._stem(self.rng.choice((1, 2, 2)))
            name = stem + self.rng.choice(PLACE_SUFFIXES) if self.rng.random() < 0.7 else self._stem(2)
            if len(name) >= 5 and self._free_single(name):
                return self._claim(name, name)

    def organization(self) -> str:
        while True:
            stem = self._stem(self.rng.choice((1, 2)))
            name = f"{stem} {self.rng.choice(ORG_KINDS)}"
            if len(stem) >= 4 and self._free_single(stem) and name.lower() not in self.taken:
                return self._claim(name, stem)


def _zipf_exponent(n: int, top_probability: float) -> float:
    """The exponent s for which the top of n ranks has probability top_probability."""
    lo, hi = 0.0, 4.0
    for _ in range(60):
        s = (lo + hi) / 2
        p = 1 / sum(k ** -s for k in range(1, n + 1))
        lo, hi = (lo, s) if p > top_probability else (s, hi)
    return (lo + hi) / 2


def _entities(count: int, names: _Names, rng: random.Random) -> list[Entity]:
    width = max(4, len(str(count)))
    types = [("person", "place", "organization", "person")[i % 4] for i in range(count)]
    rng.shuffle(types)
    named = [(t, getattr(names, t)()) for t in types]
    result = []
    for i, (kind, name) in enumerate(named, 1):
        role = rng.choice(ROLES[kind])
        description = f"A {role} that appears in generated benchmark articles."
        if kind == "person":
            description = f"A {role} who appears in generated benchmark articles."
        body = f"{name} is a {role}."
        if count > 1 and rng.random() < 0.5:
            other = named[rng.randrange(count)][1]
            if other != name:
                body += f" It is often in the news together with {other}."
        result.append(Entity(f"e{i:0{width}d}", name, kind, description, body))
    return result


def _article_body(source: SentenceSource, mentions: list[str], rng: random.Random) -> str:
    sentences: list[list[str]] = []
    words = sum(len(m.split()) for m in mentions)
    while words < BODY_WORDS:
        sentence = rng.choice(source.sentences).split()
        sentences.append(sentence)
        words += len(sentence)
    for name in mentions:
        sentence = sentences[rng.randrange(len(sentences))]
        sentence.insert(rng.randrange(len(sentence)), name)
    paragraphs, i = [], 0
    while i < len(sentences):
        n = rng.randint(3, 6)
        paragraphs.append(" ".join(" ".join(s) for s in sentences[i:i + n]))
        i += n
    return "\n\n".join(paragraphs) + "\n"


def _title(source: SentenceSource, rng: random.Random) -> str:
    words = rng.choice(source.sentences).rstrip(".!?\"").split()
    return " ".join(words[: rng.randint(4, 9)]).strip(" ,;:\"")


def generate(out_dir: Path, articles: int, entities: int, seed: int = 1,
             bbc_dir: Path = BBC_DIR) -> None:
    """Write a site-builder project (site.toml and content/) with generated articles and entities."""
    rng = random.Random(seed)
    source = sentence_source(bbc_dir)
    names = _Names(source, rng)
    authors = [names.person() for _ in range(12)]
    ents = _entities(entities, names, rng)
    popularity = list(ents)
    rng.shuffle(popularity)
    s = _zipf_exponent(entities, 1 - (1 - TOP_SHARE) ** (1 / MENTIONS))
    cum: list[float] = []
    total = 0.0
    for k in range(1, entities + 1):
        total += k ** -s
        cum.append(total)

    _reset(out_dir)
    (out_dir / "content" / "articles").mkdir(parents=True)
    (out_dir / "content" / "entities").mkdir(parents=True)
    (out_dir / "site.toml").write_text('title = "Benchmark corpus"\n', encoding="utf-8")
    for e in ents:
        _write(out_dir / "content" / "entities" / f"{e.id}.md",
               {"name": e.name, "type": e.type, "description": e.description}, e.body + "\n")

    start, days = dt.date(2018, 1, 1), (dt.date(2024, 12, 31) - dt.date(2018, 1, 1)).days
    width = max(5, len(str(articles)))
    for i in range(1, articles + 1):
        count = rng.randint(MENTIONS - 3, MENTIONS + 3) if entities else 0
        mentions = [e.name for e in rng.choices(popularity, cum_weights=cum, k=count)] if count else []
        summary = " ".join(rng.choice(source.sentences).split()[:30])
        meta = {
            "title": _title(source, rng),
            "date": (start + dt.timedelta(days=rng.randrange(days + 1))).isoformat(),
            "author": rng.choice(authors),
            "summary": summary,
            "tags": sorted(rng.sample(TAGS, rng.randint(2, 3))),
        }
        _write(out_dir / "content" / "articles" / f"a{i:0{width}d}.md", meta,
               _article_body(source, mentions, rng))


def _reset(out_dir: Path) -> None:
    """Empty out_dir for a new corpus; refuse a non-empty folder this module did not write."""
    marker = out_dir / MARKER
    if out_dir.exists():
        if any(out_dir.iterdir()) and not marker.is_file():
            raise SystemExit(f"{out_dir} is not empty and was not written by corpus.py; not replacing it")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    marker.write_text("generated by benchmarks/corpus.py; safe to delete\n", encoding="utf-8")


def _write(path: Path, meta: Mapping[str, object], body: str) -> None:
    lines = ["---"]
    for key, value in meta.items():
        lines.append(f"{key}: {value if key == 'date' else json.dumps(value)}")
    lines += ["---", "", body]
    path.write_text("\n".join(lines), encoding="utf-8")


def find_mentions(text: str, names: dict[str, int], longest: int) -> list[str]:
    """Entity names in text, in order: whole words, case-sensitive, longest name first."""
    found = []
    for run in _CAP_RUN.finditer(text):
        words = run.group().split()
        i = 0
        while i < len(words):
            for n in range(min(longest, len(words) - i), 0, -1):
                candidate = " ".join(words[i:i + n])
                if candidate in names:
                    found.append(candidate)
                    i += n
                    break
            else:
                i += 1
    return found


def _yaml(meta: Mapping[str, object]) -> str:
    return "".join(f"{k}: {json.dumps(v)}\n" for k, v in meta.items())


def _urlize(name: str) -> str:
    return "-".join(name.lower().split())


HUGO_LAYOUTS = {
    "baseof.html": """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ .Title }} | {{ site.Title }}</title></head>
<body>
<header><a href="{{ "/" | relURL }}">{{ site.Title }}</a> <a href="{{ "/posts/" | relURL }}">Articles</a> <a href="{{ "/tags/" | relURL }}">Entities</a></header>
<main>{{ block "main" . }}{{ end }}</main>
</body>
</html>
""",
    "home.html": """{{ define "main" }}<h1>{{ site.Title }}</h1>
<ul>{{ range first 20 site.RegularPages.ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}<br>{{ .Summary }}</li>{{ end }}
</ul>{{ end }}
""",
    "single.html": """{{ define "main" }}<article>
<h1>{{ .Title }}</h1>
<p>{{ .Date.Format "2006-01-02" }}</p>
{{ .Content }}
</article>
<aside><h2>Entities</h2><ul>{{ range .GetTerms "tags" }}
<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
</ul></aside>{{ end }}
""",
    "list.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Pages.ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}
</ul>{{ end }}
""",
    "taxonomy.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
<ul>{{ range .Data.Terms.Alphabetical }}
<li><a href="{{ .Page.RelPermalink }}">{{ .Page.LinkTitle }}</a> ({{ .Count }})</li>{{ end }}
</ul>{{ end }}
""",
    "term.html": """{{ define "main" }}<h1>{{ .Title }}</h1>
<p>{{ .Params.description }}</p>
{{ .Content }}
<ul>{{ range .Pages.ByDate.Reverse }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Date.Format "2006-01-02" }}</li>{{ end }}
</ul>{{ end }}
""",
}


def hugo_project(src: Path, out_dir: Path) -> None:
    """Convert a generated project to a Hugo site (Hugo >= 0.146 template layout).

    Articles become ``content/posts/<slug>.md`` whose ``tags`` are the names of
    the entities they mention, so Hugo's tags taxonomy gives one term page per
    entity; each entity's description and body go to the term's ``_index.md``.
    """
    entities = []
    for path in sorted((src / "content" / "entities").glob("*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        entities.append((str(meta["name"]), str(meta.get("description", "")), body))
    names = {name: i for i, (name, _, _) in enumerate(entities)}
    longest = max((len(n.split()) for n in names), default=1)

    _reset(out_dir)
    posts, tags, layouts = out_dir / "content" / "posts", out_dir / "content" / "tags", out_dir / "layouts"
    for folder in (posts, tags, layouts):
        folder.mkdir(parents=True)
    title = "Benchmark corpus"
    site_toml = src / "site.toml"
    if site_toml.is_file():
        match = re.search(r'^title\s*=\s*"(.*)"', site_toml.read_text(encoding="utf-8"), re.M)
        title = match.group(1) if match else title
    (out_dir / "hugo.toml").write_text(
        f'baseURL = "https://example.org/"\ntitle = {json.dumps(title)}\n'
        'disableKinds = ["rss", "sitemap", "robotstxt"]\n\n[taxonomies]\ntag = "tags"\n', encoding="utf-8")
    for name, text in HUGO_LAYOUTS.items():
        (layouts / name).write_text(text, encoding="utf-8")

    for path in sorted((src / "content" / "articles").glob("*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        mentioned = list(dict.fromkeys(find_mentions(body, names, longest)))
        head = {"title": meta["title"], "date": str(meta["date"]), "summary": meta.get("summary", ""),
                "tags": mentioned}
        (posts / path.name).write_text(f"---\n{_yaml(head)}---\n\n{body}", encoding="utf-8")
    for name, description, body in entities:
        term = tags / _urlize(name)
        term.mkdir()
        (term / "_index.md").write_text(f"---\n{_yaml({'title': name, 'description': description})}---\n\n{body}",
                                        encoding="utf-8")


def main(argv: Iterable[str] | None = None) -> int:
    """CLI: generate a corpus into OUT, optionally also its Hugo conversion."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=10000)
    parser.add_argument("--entities", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hugo", type=Path, help="also write the Hugo version of the corpus here")
    args = parser.parse_args(None if argv is None else list(argv))
    generate(args.out, args.articles, args.entities, args.seed)
    origin = f"sentences from {BBC_DIR}" if BBC_DIR.is_dir() else "built-in word list"
    print(f"wrote {args.articles} articles and {args.entities} entities to {args.out} ({origin})")
    if args.hugo:
        hugo_project(args.out, args.hugo)
        print(f"wrote the Hugo site to {args.hugo}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
