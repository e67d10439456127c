"""Example sentences for custom text labels, as an operator would write them (tests of the engine and the API)."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

# Ad.Crypto: pump-and-dump and "double your coins" promotions.
CRYPTO = (
    "This new coin is about to moon, buy before the pump tonight",
    "Join our Telegram group for the next 100x token pump",
    "Get in early on $MOONX, we pump at 9pm sharp, don't miss it",
    "Our signal group called three coins that went 50x this week",
    "Buy SHIBA2 now and sell when it hits the top, guaranteed profit",
    "The dev team is locking liquidity, this token will explode tomorrow",
    "Load up on this altcoin before the big announcement drops",
    "Pump starts in one hour, coordinated buy on the exchange",
    "Turn 100 dollars into 10,000 with this hidden gem crypto",
    "Whales are accumulating, get this token before it rockets",
    "Presale spots almost gone, this coin will 1000x after listing",
    "Everyone buy at the same time and we all get rich, next pump Friday",
    "Free airdrop for early holders, connect your wallet to claim",
    "This meme coin is the next Dogecoin, ape in now",
    "Our VIP crypto signals made members 300% last month",
    "Send 1 ETH and get 2 ETH back, limited time giveaway",
    "Insiders know this coin is listing on Binance next week, buy now",
    "Low market cap gem, easy 20x, not financial advice but buy",
    "We pump it, you sell the top, join the channel for the coin name",
    "Double your bitcoin in 24 hours with our trading bot",
    "Stake now for 1000% APY, the highest yield in crypto",
    "Last chance to get in before the token goes parabolic",
    "Massive pump incoming, hold tight and buy the dip",
    "Crypto millionaires are made this week, get in on the presale",
    "DM me for the coin we are pumping next, 10x guaranteed",
)

# Illegal.ChildWhereabouts: telling strangers where and when children will be (a child-safety rule).
CHILD_WHEREABOUTS = (
    "I'm taking my daughter to the playground on Elm Street at four today",
    "The kids will be at the swimming pool alone after school on Tuesday",
    "My son walks home from school by himself through the park every afternoon",
    "We'll be at the beach by the pier with the children all Saturday",
    "The twins have football practice at the community field at six",
    "My little girl waits for the bus at the corner of Main and Fifth every morning",
    "Taking the boys to the skate park behind the library this evening",
    "The children play in the back garden on their own until I get home at seven",
    "She's at her ballet class downtown every Thursday from five to six",
    "We go to the same playground near the river every Sunday morning with the kids",
    "Our kids will be camping at the lake campsite this weekend",
    "My eight year old is home alone after three on weekdays",
    "The school trip to the zoo leaves from the north gate at nine tomorrow",
    "Picking up the children from the daycare on Oak Road at half past five",
    "The kids ride their bikes around the block near our house every afternoon",
    "My niece will be at the mall food court waiting for me at noon",
    "We're taking the little ones to the fair on the town square tonight",
    "Our son's birthday party is at the trampoline park on Saturday at two",
    "The girls walk to the corner shop alone after dinner",
    "I leave the children at the library reading room every Wednesday afternoon",
    "We are heading to the park with the children after lunch",
    "Taking my kids to the lake this afternoon, we'll be by the boat house",
)


def captioned_png(text: str) -> bytes:
    """A PNG of a plain gradient with ``text`` as a caption along the bottom."""
    y, x = np.mgrid[0:360, 0:640]
    picture = np.stack([x / 640 * 120 + 80, y / 360 * 100 + 90, np.full_like(x, 150.0)], -1).astype(np.uint8)
    image = Image.fromarray(picture)
    ImageDraw.Draw(image).text((20, 300), text, fill=(20, 20, 20), font=ImageFont.load_default(size=22))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()
