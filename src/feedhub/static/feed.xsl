<?xml version="1.0" encoding="UTF-8"?>
<!-- feedhub: shows an RSS 2.0 or Atom 1.0 feed as a readable page when a browser opens it.
     Feed readers ignore this stylesheet. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    exclude-result-prefixes="atom">
  <xsl:output method="html" encoding="UTF-8" indent="yes"
      doctype-system="about:legacy-compat"/>

  <xsl:template match="/">
    <xsl:variable name="title" select="rss/channel/title | atom:feed/atom:title"/>
    <xsl:variable name="self" select="rss/channel/atom:link[@rel='self']/@href | atom:feed/atom:link[@rel='self']/@href"/>
    <xsl:variable name="home" select="rss/channel/link | atom:feed/atom:link[@rel='alternate']/@href"/>
    <html lang="{rss/channel/language | atom:feed/@xml:lang}">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <link rel="icon" href="{{ icon or 'data:,' }}"/>
        <link rel="stylesheet" href="{{ base_url }}/static/feedhub.css"/>
      </head>
      <body>
        <p class="fh-banner">This is a web feed. To follow it, copy its address into your feed
          reader: <span class="fh-url"><xsl:value-of select="$self"/></span></p>
        <header>
          <h1><a href="{$home}"><xsl:value-of select="$title"/></a></h1>
          <p class="fh-description"><xsl:value-of select="rss/channel/description | atom:feed/atom:subtitle"/></p>
        </header>
        <main>
          <ol class="fh-items">
            <xsl:apply-templates select="rss/channel/item | atom:feed/atom:entry"/>
          </ol>
        </main>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <li class="fh-item">
      <h2 class="fh-item-title"><a href="{link}"><xsl:value-of select="title"/></a></h2>
      <p class="fh-meta"><xsl:value-of select="pubDate"/></p>
    </li>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li class="fh-item">
      <h2 class="fh-item-title"><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></h2>
      <p class="fh-meta"><xsl:value-of select="substring(atom:published, 1, 10)"/></p>
    </li>
  </xsl:template>
</xsl:stylesheet>
