siteCards({{ entity_cards(entities, reach) }});
