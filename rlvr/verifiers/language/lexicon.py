"""Very common words that belong to exactly one of the six Latin-script languages.

They decide most sentences of a chain of thought without a detector call (the fast path of
:class:`rlvr.verifiers.language.detect.LatinDetector`). A word that is common in two of the languages
(``de``, ``la``, ``que``, ``in``, ``on``, ``per``, ``no`` …) is left out, so a hit always points at one
language. The lists are lower-case; the check lower-cases the words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from types import MappingProxyType

_WORDS: dict[str, str] = {
    "en": """the of and to is that we it for this with are be by from which can if then but not have has
        were will would should could there their they these those what when where how why because
        since let let's wait need get just only each both than into its it's don't doesn't isn't i'm
        we're that's there's my our us you your does did been being about after before now first
        next here however therefore thus hence maybe actually okay hmm yes other more most some any
        many much way again two three four five seven eight nine one at up out over under between
        must might may who whose while until something nothing everything""",
    "fr": """du une est et dans pour pas nous avec sur cette ces sont être donc elle au aux alors comme
        très faut peut c'est n'est qu'on j'ai d'abord d'un d'une l'on s'il leur leurs ils elles je
        vous notre votre cela ça ici aussi encore déjà puis ensuite ainsi quand parce chaque tous
        tout toute toutes même autre deux trois quatre cinq sept huit neuf dix où là quoi avons avez
        ont fait faire était sera peux dois doit oui moins sans sous chez vers selon après avant
        depuis pendant ses mon eux cet celui celle ceux dont lequel laquelle aucun aucune rien
        toujours jamais beaucoup plusieurs premier première dernier voici voilà fois façon manière""",
    "de": """der die das und ist nicht ein eine einen einem einer eines mit von zu den dem auf für sich
        wir auch dass daß sind wird werden oder wenn dann nach bei aus noch nur kann können muss
        müssen haben hat wie im um diese dieser dieses diesen ich sie jetzt daher schon sehr mehr
        weil aber doch hier dort gibt zwei drei vier fünf sechs sieben acht neun zehn nun wo wer
        warum welche welcher welches zwischen durch über unter ohne gegen seit bis vom zum zur beim
        ins ihr ihre ihren sein seine seinen uns unser nichts alle allen alles jede jeder jedes
        somit damit dabei dafür deshalb ob sollte könnte""",
    "es": """el los las más pero esto eso esa ese esos esas estos estas entonces tenemos ahora hay sí
        cuando donde también muy puede pueden debe debemos ya hacer tiene tienen sus nuestro nuestra
        usted ellos ellas él yo tú aquí así luego después hasta hacia según mientras qué cómo cuál
        cuántas tres cuatro siete ocho nueve diez están estamos otro otra otros mismo misma mucho
        mayor fue hemos había habrá primero""",
    "pt": """os um uma não em na nas com é são isso isto então temos agora também onde pelo pela pelos
        pelas ao aos às seu seus suas muito muita já há você vocês nós eles elas ele ela mesmo mesma
        outro outra outros ainda assim depois até portanto logo três quatro sete oito dez dois duas
        primeiro pode podem devemos ter tem têm foi fazer essa esse essas esses neste nesta nesse
        nessa desta deste disso dessa desse quais quantos quantas seja sem""",
    "it": """gli di della delle dei degli dello che è sono questo questa questi queste quindi allora
        abbiamo possiamo anche più nel nella nei nelle alla alle allo ai dal dalla dai sul sulla
        ogni poi dove molto essere perché però ci ho hanno sia tra fra tutti tutto tutte dobbiamo
        tre quattro cinque sette otto dieci ancora già qua cioè infatti dunque bisogna sappiamo lei
        loro io noi voi suo suoi nostro nostra mio quello quella quelli essa esso stesso stessa
        altro altra altri mentre senza perciò pertanto invece ovvero oppure c'è""",
}


def _build() -> Mapping[str, str]:
    owner: dict[str, str] = {}
    shared: set[str] = set()
    for language, words in _WORDS.items():
        for word in words.split():
            if owner.get(word, language) != language:
                shared.add(word)
            owner[word] = language
    for word in shared:  # a word listed for two languages points at neither
        del owner[word]
    return MappingProxyType(owner)


#: word (lower case) -> the one Latin-script language it belongs to.
FUNCTION_WORDS: Mapping[str, str] = _build()


def function_word_votes(words: Iterable[str]) -> Counter[str]:
    """How many of ``words`` (lower case) are function words of each language.

    Example:
        >>> function_word_votes("so it is the sum, donc nous avons fini".split()).most_common()
        [('en', 3), ('fr', 3)]
    """
    votes = Counter(map(FUNCTION_WORDS.get, words))
    del votes[None]
    return votes
